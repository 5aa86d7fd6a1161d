#!/bin/sh
# One HTTP connection on stdin/stdout. Reads the request head and hands the request to
# "httpd -i" with the path replaced by /cgi-bin/app (query string kept), so that the CGI
# /www/cgi-bin/app runs for every path. The original path (raw, not percent-decoded) goes to the
# CGI in the environment variable TESTAPP_PATH (httpd -i passes its environment on), which avoids
# httpd's own handling of "/" endings, "..", "%2F" etc.
set -f
cr=$(printf '\r')
IFS= read -r line || exit 0
line=${line%"$cr"}
# shellcheck disable=SC2086 # split the request line into method, target, protocol
set -- $line
method=${1:-GET} path=${2:-/} proto=${3:-HTTP/1.0}
case $path in
  http://* | https://*) path=/${path#*://*/} ;; # absolute-form request target
  /*) ;;
  *) path=/$path ;;
esac
query=
case $path in *\?*) query="?${path#*\?}" path=${path%%\?*} ;; esac
export TESTAPP_PATH="$path"
head=
len=0
while IFS= read -r h; do
  h=${h%"$cr"}
  [ -z "$h" ] && break
  case $h in
    [Cc]ontent-[Ll]ength:*) len=$(echo "${h#*:}" | tr -dc 0-9) ;;
  esac
  head="$head$h$cr
"
done
{
  printf '%s /cgi-bin/app%s %s\r\n%s\r\n' "$method" "$query" "$proto" "$head"
  [ "${len:-0}" -gt 0 ] && head -c "$len"
} | httpd -i -h /www -c /etc/httpd.conf
