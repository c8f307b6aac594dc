# PostgreSQL for the store's conformance suite and the multi-process tests
# (internal/store/sqlstore, cmd/anshin). A private cluster: initdb into
# $work/pg, loopback only, a free port, trust authentication, run as the
# unprivileged user postgres when this script runs as root. Tests create a
# database of their own through ANSHIN_TEST_POSTGRES_URL and drop it.
postgres_packages="postgresql"

# postgres_bin prints the folder of the newest installed server binaries.
postgres_bin() {
	local d
	d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
	if [ -z "$d" ] && command -v pg_config >/dev/null; then
		d=$(pg_config --bindir)
	fi
	[ -n "$d" ] && [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] || return 1
	echo "$d"
}

# postgres_as runs a command as the cluster's owner.
postgres_as() {
	if [ "$(id -u)" = 0 ]; then
		if command -v runuser >/dev/null; then
			runuser -u postgres -- "$@"
		else
			su postgres -s /bin/sh -c "$(printf '%q ' "$@")"
		fi
	else
		"$@"
	fi
}

postgres_start() {
	local bin port dir="$work/pg"
	bin=$(postgres_bin) || { echo "postgres: no initdb/pg_ctl found (apt-get install postgresql)" >&2; return 1; }
	if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
		echo "postgres: running as root needs the user postgres (created by the Debian package)" >&2
		return 1
	fi
	mkdir -p "$dir"
	[ "$(id -u)" = 0 ] && chown postgres: "$dir"
	postgres_as "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C >"$dir/initdb.log" 2>&1 ||
		{ cat "$dir/initdb.log" >&2; return 1; }
	port=$(free_port)
	# fsync off: a test cluster needs no crash safety, and it saves the
	# shared disk a great deal of work.
	postgres_as "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
		-o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
		start >/dev/null || { cat "$dir/server.log" >&2; return 1; }
	postgres_dir="$dir"
	postgres_bindir="$bin"
	export ANSHIN_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
}

postgres_stop() {
	[ -n "${postgres_dir:-}" ] || return 0
	postgres_as "$postgres_bindir/pg_ctl" -D "$postgres_dir/data" -m fast -w stop
}
