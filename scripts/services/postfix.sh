# Postfix as the relay anshin talks to (internal/delivery postfix test): a
# private instance with its own configuration and queue under $work,
# listening only on a free loopback port, delivering the domain
# anshin.test to one Maildir under $work. The machine's own Postfix (if
# any) is neither used nor touched, and postfix_stop leaves no daemon
# behind. Postfix's master runs as root, so this needs root or sudo -n.
postfix_packages="postfix"

postfix_sudo() {
	if [ "$(id -u)" = 0 ]; then "$@"; else sudo -n "$@"; fi
}

postfix_start() {
	local dir="$work/postfix" port uid gid
	command -v postfix >/dev/null && command -v postconf >/dev/null ||
		{ echo "postfix: not installed (apt-get install postfix)" >&2; return 1; }
	if [ "$(id -u)" != 0 ] && ! sudo -n true 2>/dev/null; then
		echo "postfix: needs root or sudo -n to run its master daemon" >&2
		return 1
	fi
	id postfix >/dev/null 2>&1 || { echo "postfix: the user postfix is missing (the Debian package creates it)" >&2; return 1; }
	# Mail is written as the user running the tests, so they can read it;
	# as root, as the postfix user (the virtual agent refuses uid 0).
	if [ "$(id -u)" = 0 ]; then
		uid=$(id -u postfix)
		gid=$(id -g postfix)
	else
		uid=$(id -u)
		gid=$(id -g)
	fi
	port=$(free_port)
	# The bounce test (cmd/anshin) runs anshin's bounce receiver here.
	bport=$(free_port)
	mkdir -p "$dir/conf" "$dir/queue" "$dir/data" "$dir/mail/inbox/new" "$dir/mail/inbox/cur" "$dir/mail/inbox/tmp"
	chown -R "$uid:$gid" "$dir/mail" 2>/dev/null || postfix_sudo chown -R "$uid:$gid" "$dir/mail"
	chmod -R o+rX "$dir/mail"
	postfix_sudo chown postfix: "$dir/data"
	cat >"$dir/conf/main.cf" <<EOF
compatibility_level = 3.6
queue_directory = $dir/queue
data_directory = $dir/data
maillog_file_prefixes = $dir
maillog_file = $dir/maillog
mail_owner = postfix
setgid_group = postdrop
myhostname = relay.anshin.test
mydomain = anshin.test
myorigin = \$myhostname
# nouser.anshin.test is local and has no users: mail to it is accepted,
# then bounced by Postfix itself with a DSN (5.1.1) to the VERP return
# path, which bounces.anshin.test routes to anshin's bounce receiver.
mydestination = nouser.anshin.test
local_recipient_maps =
alias_maps =
alias_database =
transport_maps = inline:{ {bounces.anshin.test=smtp:[127.0.0.1]:$bport} }
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
smtpd_banner = \$myhostname ESMTP anshin test relay
relayhost =
biff = no
smtputf8_enable = no
virtual_mailbox_domains = anshin.test
virtual_mailbox_base = $dir/mail
virtual_mailbox_maps = static:inbox/
virtual_uid_maps = static:$uid
virtual_gid_maps = static:$gid
virtual_minimum_uid = 1
# Nothing leaves this machine: other domains bounce at once.
default_transport = error:the anshin test relay delivers anshin.test only
EOF
	cat >"$dir/conf/master.cf" <<EOF
127.0.0.1:$port inet n - n - - smtpd
pickup    unix  n - n 60 1 pickup
cleanup   unix  n - n -  0 cleanup
qmgr      unix  n - n 300 1 qmgr
rewrite   unix  - - n -  - trivial-rewrite
bounce    unix  - - n -  0 bounce
defer     unix  - - n -  0 bounce
trace     unix  - - n -  0 bounce
verify    unix  - - n -  1 verify
flush     unix  n - n 1000? 0 flush
proxymap  unix  - - n -  - proxymap
proxywrite unix - - n -  1 proxymap
smtp      unix  - - n -  - smtp
relay     unix  - - n -  - smtp
showq     unix  n - n -  - showq
error     unix  - - n -  - error
retry     unix  - - n -  - error
discard   unix  - - n -  - discard
local     unix  - n n -  - local
virtual   unix  - n n -  - virtual
anvil     unix  - - n -  1 anvil
scache    unix  - - n -  1 scache
postlog   unix-dgram n - n - 1 postlogd
EOF
	postfix_sudo postfix -c "$dir/conf" check >"$dir/check.log" 2>&1 || { cat "$dir/check.log" >&2; return 1; }
	postfix_sudo postfix -c "$dir/conf" start >"$dir/start.log" 2>&1 || { cat "$dir/start.log" "$dir/maillog" >&2 2>/dev/null; return 1; }
	postfix_dir="$dir"
	# Wait until it answers (a failsafe of 30 seconds).
	local i
	for i in $(seq 300); do
		if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			export ANSHIN_TEST_POSTFIX_ADDR="127.0.0.1:$port"
			export ANSHIN_TEST_POSTFIX_MAILDIR="$dir/mail/inbox"
			export ANSHIN_TEST_POSTFIX_BOUNCE_ADDR="127.0.0.1:$bport"
			return 0
		fi
		sleep 0.1
	done
	echo "postfix: not listening on 127.0.0.1:$port" >&2
	cat "$dir/maillog" >&2 2>/dev/null
	postfix_stop
	return 1
}

postfix_stop() {
	[ -n "${postfix_dir:-}" ] || return 0
	postfix_sudo postfix -c "$postfix_dir/conf" stop >/dev/null 2>&1 || true
	# postfix stop returns before master exits; wait for its pid file to go.
	local i
	for i in $(seq 100); do
		[ -e "$postfix_dir/queue/pid/master.pid" ] || break
		sleep 0.1
	done
	postfix_dir=""
}
