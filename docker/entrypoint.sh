#!/bin/sh
# The image's entrypoint (the container starts as root): runs deepfeat as the owner of the
# mounted ExpOutput/, so that what it writes into the host's ExpOutput/ and Models/ belongs
# to whoever ran compose, whatever their uid. deepfeat itself never runs as root: when that
# owner is root, it runs as the image's `deepfeat` user, and what that user owns in the two
# folders is given back to root when it ends.
set -eu

fail() {
    printf 'deepfeat: error: %s\n' "$*" >&2
    exit 2
}

# Started as some user already (docker run --user, compose `user:`): nothing to choose.
if [ "$(id -u)" -ne 0 ]; then
    exec deepfeat "$@"
fi

export HOME=/tmp  # the host's uid has no home in the image
uid=$(stat -c %u ExpOutput)
gid=$(stat -c %g ExpOutput)

if [ "$uid" -ne 0 ]; then
    for folder in ExpOutput Models; do
        setpriv --reuid="$uid" --regid="$gid" --clear-groups test -w "$folder" \
            || fail "$folder/ is not writable by uid $uid, the owner of ExpOutput/ whom deepfeat runs as: on the host, run 'sudo chown -R $uid:$gid ExpOutput Models' in the project folder"
    done
    exec setpriv --reuid="$uid" --regid="$gid" --clear-groups --no-new-privs deepfeat "$@"
fi

# Root's folders: lend root's files and folders to `deepfeat` for the run. Files with other
# links are left alone, so that a hard link planted here cannot lend a file from elsewhere.
find ExpOutput Models \( -type d -o -type f -links 1 \) -user 0 -exec chown deepfeat:deepfeat {} + \
    || fail "cannot lend ExpOutput/ and Models/ to the container's user: on the host, run 'chown -R 1000:1000 ExpOutput Models' in the project folder, then run again (deepfeat will run as uid 1000)"

give_back() {
    find ExpOutput Models \( -type d -o -type f \) -user deepfeat -exec chown "$uid:$gid" {} + \
        || printf "deepfeat: warning: some files are still the container's: on the host, run 'chown -R %s:%s ExpOutput Models' in the project folder\n" "$uid" "$gid" >&2
}

# deepfeat runs in the background so that this shell, PID 1, can pass it `docker stop`'s
# SIGTERM; a background job's standard input would be /dev/null, hence fd 3.
exec 3<&0
setpriv --reuid=deepfeat --regid=deepfeat --init-groups --no-new-privs deepfeat "$@" <&3 3<&- &
child=$!
exec 3<&-
trap 'kill -TERM "$child" 2>/dev/null || true' TERM
if [ -t 0 ]; then
    trap : INT  # a terminal's Ctrl-C reaches deepfeat too; a second one would stop it unsaved
else
    trap 'kill -INT "$child" 2>/dev/null || true' INT
fi
status=0
wait "$child" || status=$?
while kill -0 "$child" 2>/dev/null; do  # wait returned for a signal: deepfeat is still saving
    status=0
    wait "$child" || status=$?
done
give_back
exit "$status"
