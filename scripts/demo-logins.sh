#!/usr/bin/env bash
# Run by demo.sh inside `radius-testbed run`, which exports the ports.
set -euo pipefail
bin=target/release/radius-rs
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat > "$work/radius.toml" <<TOML
[client]
nas_identifier = "demo-nas"
state_dir = "$work/state"

[[server]]
address = "127.0.0.1"
secret = "$TESTBED_SECRET"
auth_port = $TESTBED_AUTH_PORT
acct_port = $TESTBED_ACCT_PORT

[accounting]
spool_dir = "$work/spool"
TOML
chmod 600 "$work/radius.toml"
# The same host during an accounting outage: nothing answers on the
# accounting port (UDP 9, discard); the same spool.
sed "s/^acct_port = .*/acct_port = 9/" "$work/radius.toml" > "$work/outage.toml"
chmod 600 "$work/outage.toml"

step() { printf '\n== %s\n$ %s\n' "$1" "${*:2}"; }
expect() { # expect CODE CMD…: run CMD, require exit CODE
    local want=$1; shift
    set +e; "$@"; local got=$?; set -e
    [[ $got == "$want" ]] || { echo "demo: expected exit $want, got $got" >&2; exit 1; }
}

step "configuration" "$bin check-config"
expect 0 "$bin" --config "$work/radius.toml" check-config
for method in pap chap mschapv1 mschapv2; do
    step "login alice with $method" "$bin login alice --method $method --password-stdin"
    expect 0 "$bin" --config "$work/radius.toml" login alice --method "$method" --password-stdin <<< "alice-password"
done
step "wrong password is rejected" "$bin login alice --password-stdin"
expect 1 "$bin" --config "$work/radius.toml" login alice --password-stdin <<< "not-the-password"
step "one-time code through Access-Challenge" "$bin login otpuser --password-stdin"
expect 0 "$bin" --config "$work/radius.toml" login otpuser --password-stdin < <(printf 'otp-first\n123456\n')
# The PAM module, through the real libpam (pamtester), with a service file.
service="radius-rs-demo-$$"
module="$PWD/target/release/libpam_radius_rs.so"
printf '%s\n' "auth required $module conf=$work/radius.toml" "account required $module conf=$work/radius.toml" \
    "session required $module conf=$work/radius.toml" > "/etc/pam.d/$service"
trap 'rm -rf "$work" "/etc/pam.d/$service"' EXIT
step "PAM login: alice through pam_radius_rs.so (auth, account, session)" "pamtester $service alice authenticate acct_mgmt open_session close_session"
expect 0 pamtester -v "$service" alice authenticate acct_mgmt open_session close_session <<< "alice-password"
step "PAM login with a wrong password is refused" "pamtester $service alice authenticate"
expect 1 pamtester "$service" alice authenticate <<< "not-the-password"
step "PAM login with a one-time code" "pamtester $service otpuser authenticate"
expect 0 pamtester "$service" otpuser authenticate < <(printf 'otp-first\n123456\n')
step "accounting written by FreeRADIUS for the PAM session" "grep Acct-Status-Type $TESTBED_DETAIL"
grep -E "Acct-Status-Type|Acct-Session-Id|User-Name" "$TESTBED_DETAIL"

# Accounting that survives an outage: the session succeeds, its Start and
# Stop wait in the spool, and reach FreeRADIUS once a server answers.
printf '%s\n' "session required $module conf=$work/outage.toml" > "/etc/pam.d/$service-outage"
trap 'rm -rf "$work" "/etc/pam.d/$service" "/etc/pam.d/$service-outage"' EXIT
step "PAM session with the accounting server down: it goes on, the records are spooled" "pamtester $service-outage alice open_session close_session"
expect 0 pamtester -v "$service-outage" alice open_session close_session
step "the records waiting in the spool" "$bin spool"
expect 0 "$bin" --config "$work/outage.toml" spool
spooled=$("$bin" --config "$work/outage.toml" spool | awk '$1 == "start" {print $4; exit}')
sleep 2 # the outage goes on a little: Acct-Delay-Time will say so
step "a server answers again: deliver them (radius-rs-dmd does this every drain_interval)" "$bin spool --drain"
expect 0 "$bin" --config "$work/radius.toml" spool --drain
step "they reached FreeRADIUS once each: session $spooled" "grep $spooled $TESTBED_DETAIL"
for status in Start Stop; do
    awk -v id="Acct-Session-Id = \"$spooled\"" -v st="Acct-Status-Type = $status" 'BEGIN{RS=""} index($0, id) && index($0, st) {n++} END {exit n == 1 ? 0 : 1}' "$TESTBED_DETAIL" \
        || { echo "demo: the spooled $status of $spooled did not arrive exactly once" >&2; exit 1; }
    echo "  $status of $spooled: delivered once, Acct-Delay-Time $(awk -v id="Acct-Session-Id = \"$spooled\"" -v st="Acct-Status-Type = $status" 'BEGIN{RS=""} index($0, id) && index($0, st) {for (i = 1; i <= NF; i++) if ($i == "Acct-Delay-Time") print $(i + 2)}' "$TESTBED_DETAIL")s"
done

step "counters" "$bin monitor"
expect 0 "$bin" --config "$work/radius.toml" monitor
echo
echo "demo: all logins behaved as expected"
