#!/bin/bash
# The long flags `docker VERB --help` lists that `hullbox VERB --help` does
# not, one line per verb with any missing. Needs Debian's docker.io client
# (its --help works without a daemon). HULLBOX: the hullbox to ask (default:
# the one on PATH). Verbs: the arguments, else the image, build, network and
# volume verbs.
set -u
HULLBOX=${HULLBOX:-hullbox}
flags() { grep -oE '^\s+(-[a-zA-Z], )?--[a-z0-9-]+' | grep -oE -- '--[a-z0-9-]+' | sort -u; }
if [ $# -eq 0 ]; then
  set -- "pull" "push" "rmi" "import" "save" "load" "history" "images" "tag" \
    "image prune" "image inspect" "build" "network create" "network ls" "network prune" \
    "network rm" "network inspect" "network connect" "network disconnect" "volume create" \
    "volume ls" "volume rm" "volume prune" "volume inspect"
fi
for verb in "$@"; do
  # shellcheck disable=SC2086  # a verb is one or two words
  missing=$(comm -23 <(docker $verb --help 2>/dev/null | flags) \
                     <($HULLBOX $verb --help 2>/dev/null | flags) | tr '\n' ' ')
  if [ -n "${missing// /}" ]; then echo "$verb: $missing"; fi
done
