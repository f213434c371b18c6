#!/usr/bin/env bash
# Starts and stops the local AWS peers the tests use: dynalite (DynamoDB) and
# aws-ses-v2-local (SES v2). Installs nothing: `npm ci --prefix tools/node`
# (make emulators-install) must have run. `start` prints export lines for
# eval; `stop` ends only the processes this script started (by saved pid).
#
#   eval "$(scripts/emulators.sh start)"
#   scripts/emulators.sh stop
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
node_dir=${ABUSEDESK_NODE_DIR:-$root/tools/node}
bin=$node_dir/node_modules/.bin
state=${ABUSEDESK_EMULATOR_DIR:-$root/build/emulators}

free_port() {
	# Ask the kernel for a free loopback port; a tiny race remains until the
	# emulator binds it, which the readiness check below would catch.
	node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

wait_http() { # name url pid
	local i
	for i in $(seq 1 100); do
		if ! kill -0 "$3" 2>/dev/null; then
			echo "emulators: $1 exited; log follows" >&2
			cat "$state/$1.log" >&2 || true
			return 1
		fi
		# Any HTTP status means the server is listening.
		if curl -s -o /dev/null "$2" 2>/dev/null; then
			return 0
		fi
		sleep 0.1
	done
	echo "emulators: $1 did not answer at $2" >&2
	return 1
}

start_one() { # name port cmd...
	local name=$1 port=$2
	shift 2
	# Reuse a running emulator only if it still answers on its port: a
	# stale pid file may name a pid the system has since reused.
	if [[ -f $state/$name.pid && -f $state/$name.port ]] && kill -0 "$(cat "$state/$name.pid")" 2>/dev/null &&
		curl -s -o /dev/null "http://127.0.0.1:$(cat "$state/$name.port")/"; then
		cat "$state/$name.port"
		return 0
	fi
	nohup "$@" >"$state/$name.log" 2>&1 </dev/null &
	echo $! >"$state/$name.pid"
	echo "$port" >"$state/$name.port"
	wait_http "$name" "http://127.0.0.1:$port/" "$!" >&2 || return 1
	echo "$port"
}

start() {
	for b in dynalite aws-ses-v2-local; do
		if [[ ! -x $bin/$b ]]; then
			echo "emulators: $bin/$b missing; run: npm ci --prefix $node_dir" >&2
			exit 1
		fi
	done
	command -v curl >/dev/null || { echo "emulators: curl is required" >&2; exit 1; }
	mkdir -p "$state"
	local dport sport
	dport=$(free_port)
	# Tables become ACTIVE at once: tests create their own and must not wait.
	dport=$(start_one dynalite "$dport" "$bin/dynalite" --host 127.0.0.1 --port "$dport" \
		--createTableMs 0 --deleteTableMs 0 --updateTableMs 0)
	sport=$(free_port)
	sport=$(start_one sesv2 "$sport" "$bin/aws-ses-v2-local" --host 127.0.0.1 --port "$sport")
	echo "export ABUSEDESK_DYNAMODB_ENDPOINT=http://127.0.0.1:$dport"
	echo "export ABUSEDESK_SESV2_ENDPOINT=http://127.0.0.1:$sport"
}

stop() {
	local name pid
	for name in dynalite sesv2; do
		[[ -f $state/$name.pid ]] || continue
		pid=$(cat "$state/$name.pid")
		kill "$pid" 2>/dev/null || true
		rm -f "$state/$name.pid" "$state/$name.port"
	done
}

case ${1:-} in
start) start ;;
stop) stop ;;
*)
	echo "usage: $0 start|stop" >&2
	exit 2
	;;
esac
