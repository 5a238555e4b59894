#!/usr/bin/env bash
# Makes the Dockerfile's base image (FROM) available to the local engine: kept if present,
# else pulled, else built from a debootstrap of Debian 12 (bookworm, whose python3 is 3.11)
# with pip, and tagged as that FROM. For machines that reach package mirrors but no image
# registry. The root file system is cached as a tarball, so later runs only import it.
#
#   sudo docker/base-image.sh            # prints the tag; exit 0 once it is there
#
# Settings: DEEPFEAT_DOCKER_CACHE (default /var/cache/deepfeat-docker), DEBIAN_MIRROR.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cache=${DEEPFEAT_DOCKER_CACHE:-/var/cache/deepfeat-docker}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
suite=bookworm
# Debian's pip plus venv and CA certificates: what python:3.11-slim offers a Dockerfile.
packages=python3,python3-pip,python3-venv,ca-certificates

say() { printf 'base-image: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

tag=$(awk 'toupper($1) == "FROM" { print $2; exit }' "$repo/Dockerfile")
[ -n "$tag" ] || die "no FROM line in $repo/Dockerfile"

if docker image inspect "$tag" >/dev/null 2>&1; then
    echo "$tag"
    exit 0
fi
if timeout 120 docker pull "$tag" >/dev/null 2>&1; then
    say "pulled $tag"
    echo "$tag"
    exit 0
fi

# The tarball's name carries this script's hash, so a changed recipe rebuilds it.
recipe=$(sha256sum "$0" | cut -c1-12)
tarball="$cache/base-$suite-$recipe.tar"

remove_rootfs() {
    # debootstrap mounts /proc and /sys inside the target; a failed run can leave them there.
    grep -o " $rootfs/[^ ]*" /proc/mounts | sort -r | xargs -r umount -l || true
    rm -rf --one-file-system "$rootfs" "$rootfs.log" "$tarball.part"
}

if [ ! -f "$tarball" ]; then
    [ "$(id -u)" -eq 0 ] || die "$tag cannot be pulled and building it needs root: run 'sudo $0'"
    command -v debootstrap >/dev/null || die "debootstrap is missing: run 'sudo apt-get install debootstrap'"
    mkdir -p "$cache"
    rootfs=$(mktemp -d "$cache/rootfs.XXXXXX")
    trap remove_rootfs EXIT
    say "$tag cannot be pulled: building it from Debian $suite with debootstrap (about 2 minutes)"
    debootstrap --variant=minbase --include="$packages" "$suite" "$rootfs" "$mirror" >"$rootfs.log" 2>&1 \
        || { tail -n 20 "$rootfs.log" >&2; die "debootstrap failed (log above; is $mirror reachable?)"; }
    rm -f "$rootfs.log"
    # python:*-slim installs with pip system-wide and has `python` and `pip`.
    rm -f "$rootfs"/usr/lib/python3*/EXTERNALLY-MANAGED
    ln -sf /usr/bin/python3 "$rootfs/usr/local/bin/python"
    ln -sf /usr/bin/pip3 "$rootfs/usr/local/bin/pip"
    # Trust what this host trusts (e.g. a TLS-inspecting proxy's CA), so pip works in builds.
    if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
        cp /usr/local/share/ca-certificates/*.crt "$rootfs/usr/local/share/ca-certificates/"
        chroot "$rootfs" update-ca-certificates >/dev/null 2>&1 || die "update-ca-certificates failed in the new root file system"
    fi
    rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* \
        "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/*
    tar --numeric-owner -C "$rootfs" -cf "$tarball.part" .
    mv "$tarball.part" "$tarball"
    find "$cache" -maxdepth 1 -name "base-$suite-*.tar" ! -name "${tarball##*/}" -delete
fi

say "importing $tarball as $tag"
docker import \
    --change 'ENV PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV LANG=C.UTF-8' \
    --change 'CMD ["python3"]' \
    "$tarball" "$tag" >/dev/null
echo "$tag"
