#!/usr/bin/env bash
# Installs a radius-rs .deb into a throwaway copy of a Debian root (an
# overlay over it on tmpfs, in a private mount namespace: the root itself is
# never changed) and does what an admin does: dpkg -i + apt-get -f install,
# fill in the server address, ports and secret, pam-auth-update --enable
# radius_rs, log in with pamtester; then dpkg -r and dpkg -P, and compare
# the file system with before. Prints `RESULT <step> ok|FAIL …` lines.
#   packaging/install-test.sh ROOT DEB AUTH_PORT ACCT_PORT SECRET USER PASSWORD
set -euo pipefail
root=$1 deb=$(realpath "$2") auth=$3 acct=$4 secret=$5 user=$6 password=$7
exec unshare --mount --propagation private -- bash -s "$root" "$deb" "$auth" "$acct" "$secret" "$user" "$password" <<'INNER'
set -uo pipefail
root=$1 deb=$2 auth=$3 acct=$4 secret=$5 user=$6 password=$7
t=$(mktemp -d /run/radius-rs-pkg.XXXXXX)
mount -t tmpfs tmpfs "$t"
mkdir -p "$t/upper" "$t/work" "$t/merged"
mount -t overlay overlay -o "lowerdir=$root,upperdir=$t/upper,workdir=$t/work" "$t/merged"
m=$t/merged
mount -t proc proc "$m/proc"
mount --rbind /dev "$m/dev"
mount -t tmpfs tmpfs "$m/tmp"
mount -t tmpfs -o mode=0755 tmpfs "$m/run"
cp "$deb" "$m/tmp/radius-rs.deb"
in_root() { chroot "$m" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive "$@"; }
snapshot() { in_root find /etc /usr /var/lib /var/spool /var/cache -xdev \( -path /var/lib/dpkg -o -path /var/cache/debconf -o -path /var/lib/apt -o -path /var/cache/apt \) -prune -o -print | sort; }
result() { echo "RESULT $1 $2"; }
snapshot >"$t/before"
if in_root dpkg -i /tmp/radius-rs.deb >"$t/dpkg.log" 2>&1 || in_root apt-get -f install -y >>"$t/dpkg.log" 2>&1; then
    in_root dpkg -s radius-rs | grep -q "Status: install ok installed" && result install ok || result install "FAIL $(tail -n 5 "$t/dpkg.log" | tr '\n' ' ')"
else
    result install "FAIL $(tail -n 5 "$t/dpkg.log" | tr '\n' ' ')"
fi
for f in /usr/bin/radius-rs /usr/sbin/radius-rs-dmd /etc/radius_rs/radius.toml; do
    [ -e "$m$f" ] || result files "FAIL $f missing"
done
mode=$(stat -c %a "$m/etc/radius_rs/radius.toml" 2>/dev/null)
[ "$mode" = 600 ] && result conffile-mode ok || result conffile-mode "FAIL mode $mode"
for d in /var/lib/radius_rs /var/lib/radius_rs/users /var/spool/radius_rs; do
    [ "$(stat -c %a "$m$d" 2>/dev/null)" = 700 ] || result directories "FAIL $d"
done
[ "$(stat -c %a "$m/var/lib/radius_rs/sessions" 2>/dev/null)" = 755 ] || result directories "FAIL /var/lib/radius_rs/sessions"
# What the admin edits: the server's address (as shipped), its ports and secret.
sed -i -e "s/^auth_port = 1812/auth_port = $auth/" -e "s/^acct_port = 1813/acct_port = $acct/" \
    -e "s/^secret = \"change-me-to-a-long-random-secret\"/secret = \"$secret\"/" "$m/etc/radius_rs/radius.toml"
in_root radius-rs check-config >"$t/check.log" 2>&1 && result check-config ok || result check-config "FAIL $(tr '\n' ' ' <"$t/check.log")"
in_root pam-auth-update --enable radius_rs >"$t/pam.log" 2>&1
grep -q pam_radius_rs.so "$m/etc/pam.d/common-auth" && result pam-auth-update ok || result pam-auth-update "FAIL $(cat "$t/pam.log")"
if printf '%s\n' "$password" | in_root pamtester login "$user" authenticate >"$t/login.log" 2>&1; then
    result login ok
else
    result login "FAIL $(tr '\n' ' ' <"$t/login.log")"
fi
if printf 'wrong\n' | in_root pamtester login "$user" authenticate >/dev/null 2>&1; then
    result wrong-password "FAIL accepted"
else
    result wrong-password ok
fi
in_root dpkg -r radius-rs >"$t/remove.log" 2>&1 || true
if grep -q pam_radius_rs "$m/etc/pam.d/common-auth" || [ -e "$m/usr/bin/radius-rs" ] || [ ! -e "$m/etc/radius_rs/radius.toml" ]; then
    result remove "FAIL $(tail -n 3 "$t/remove.log" | tr '\n' ' ')"
else
    result remove ok
fi
in_root dpkg -P radius-rs >"$t/purge.log" 2>&1 || true
snapshot >"$t/after"
left=$(comm -13 "$t/before" "$t/after" | tr '\n' ' ')
[ -z "$left" ] && result purge ok || result purge "FAIL left behind: $left"
echo "RESULT done ok"
INNER
