# Sourced by scripts/*/run.sh: installs the npm packages pinned by the package-lock.json of
# a script's folder into a folder under target/, on first use or when the lock file changed.
# Tests run these scripts in parallel and `npm ci` deletes node_modules before it installs,
# so the copy and the install run under an exclusive lock (flock), and files are replaced
# only when they changed, never while another copy of the script may be reading them.
#
#   npm_pinned HERE DIR FILE…   (copies FILE… from HERE to DIR, then installs in DIR)
npm_pinned() {
  local here="$1" dir="$2"
  shift 2
  mkdir -p "$dir"
  exec 9>"$dir/.install.lock"
  flock 9
  for f in package.json package-lock.json "$@"; do
    if ! cmp -s "$here/$f" "$dir/$f"; then
      cp "$here/$f" "$dir/$f.tmp.$$"
      mv -f "$dir/$f.tmp.$$" "$dir/$f"
    fi
  done
  if ! cmp -s "$here/package-lock.json" "$dir/node_modules/.flywheel-lock" 2>/dev/null; then
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error 1>&2)
    cp "$here/package-lock.json" "$dir/node_modules/.flywheel-lock"
  fi
  flock -u 9
  exec 9>&-
}
