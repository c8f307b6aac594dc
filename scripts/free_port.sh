# Sourced by scripts/test, scripts/torture and scripts/bench (not a
# service: scripts/services/ holds those).

# free_port prints a free TCP port on the loopback interface, below the
# kernel's ephemeral range (32768 and up), so that no port a test binds
# with :0 later can take it while the service is not listening yet.
free_port() {
	local p i
	for i in $(seq 1 200); do
		p=$((20000 + RANDOM % 12000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && ! grep -q ":$(printf '%04X' "$p") " /proc/net/tcp /proc/net/tcp6 2>/dev/null; then
			echo "$p"
			return 0
		fi
	done
	return 1
}
