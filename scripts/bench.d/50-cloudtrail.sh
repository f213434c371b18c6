#!/usr/bin/env bash
# CloudTrail scanner benchmark: abusedesk vs jq vs zcat on one synthetic
# corpus of gzip'd S3 objects. CT_BENCH_MB sets the gzip'd corpus size
# (default 100 MB: about 1 GB of JSON; 200 MB takes over 3 minutes on 2
# shared cores, mostly in jq). Exits non-zero only when the benchmark cannot
# run; a missed target is printed as MISSED.
set -euo pipefail
cd "$(dirname "$0")/../.."

MB=${CT_BENCH_MB:-100}
DIR=build/bench/cloudtrail
STAMP=$DIR/.stamp-$MB
BIN=build/bench/abusedesk

if [[ ! -f $STAMP ]]; then
  rm -rf "$DIR"
  echo "generating ~${MB} MB gzip'd corpus in $DIR ..." >&2
  go run ./tools/ctgen -out "$DIR" -mb "$MB"
  touch "$STAMP"
fi
go build -o "$BIN" ./cmd/abusedesk

mapfile -d '' FILES < <(find "$DIR" -type f -name '*.json.gz' -print0 | sort -z)
GZ_BYTES=$(cat "${FILES[@]}" | wc -c)
RAW_BYTES=$(printf '%s\0' "${FILES[@]}" | xargs -0 zcat | wc -c)
RECORDS=$(printf '%s\0' "${FILES[@]}" | xargs -0 zcat | grep -o '"eventVersion"' | wc -l)

now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.3f", b-a}'; }

# zcat: the decompression floor (single-threaded, like gzip -dc).
t0=$(now); printf '%s\0' "${FILES[@]}" | xargs -0 zcat > /dev/null; t1=$(now)
ZCAT=$(secs "$t0" "$t1")

# jq: a comparable filter over the same records.
FILTER='.Records[] | select(.eventName=="CreateUser" or .eventName=="CreateAccessKey" or .eventName=="AttachUserPolicy" or .eventName=="StopLogging" or .eventName=="DeleteTrail" or .eventName=="RunInstances" or .userIdentity.type=="Root")'
t0=$(now); printf '%s\0' "${FILES[@]}" | xargs -0 zcat | jq -c "$FILTER" > /dev/null; t1=$(now)
JQ=$(secs "$t0" "$t1")

# abusedesk: the full scan (all indicators, sequences, timeline).
RSS_FILE=$(mktemp)
t0=$(now)
if [[ -x /usr/bin/time ]]; then
  /usr/bin/time -f '%M' -o "$RSS_FILE" "$BIN" trail scan --format json "$DIR" > /dev/null
else
  "$BIN" trail scan --format json "$DIR" > /dev/null
  echo 0 > "$RSS_FILE"
fi
t1=$(now)
AD=$(secs "$t0" "$t1")
RSS_KB=$(tail -1 "$RSS_FILE"); rm -f "$RSS_FILE"

awk -v gz="$GZ_BYTES" -v raw="$RAW_BYTES" -v n="$RECORDS" -v z="$ZCAT" -v j="$JQ" -v a="$AD" -v rss="$RSS_KB" -v cores="$(nproc)" 'BEGIN{
  printf "CloudTrail scan benchmark: %d files? %.0f MB gzip, %.0f MB JSON, %d records, %d cores\n", 0, gz/1e6, raw/1e6, n, cores
  printf "%-28s %9s %12s %14s\n", "tool", "seconds", "MB/s (JSON)", "records/s"
  printf "%-28s %9.2f %12.1f %14.0f\n", "zcat > /dev/null", z, raw/1e6/z, n/z
  printf "%-28s %9.2f %12.1f %14.0f\n", "zcat | jq -c select(...)", j, raw/1e6/j, n/j
  printf "%-28s %9.2f %12.1f %14.0f\n", "abusedesk trail scan", a, raw/1e6/a, n/a
  sj = j/a; sz = z/a; mem = rss/1024
  printf "abusedesk vs jq:   %5.1fx   (target >= 6x)    %s\n", sj, (sj >= 6 ? "met" : "MISSED")
  printf "abusedesk vs zcat: %5.0f%%   (target >= 60%%)   %s\n", sz*100, (sz >= 0.6 ? "met" : "MISSED")
  if (rss > 0) printf "abusedesk peak RSS: %4.0f MB (target < 150 MB) %s\n", mem, (mem < 150 ? "met" : "MISSED")
  else printf "abusedesk peak RSS: unknown (install GNU time: apt-get install time)\n"
}' | sed "s/ 0 files? / ${#FILES[@]} files, /"
