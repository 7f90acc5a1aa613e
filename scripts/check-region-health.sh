#!/usr/bin/env bash
# The bake gate after a deploy wave (docs/decisions/0009): watches one region's "region unhealthy"
# composite alarm for <bake-minutes>, once a minute, and fails as soon as it is in ALARM, or if
# there is no such alarm (a wrong name must not pass the gate). 0 minutes checks once.
# Both delivery paths run it: the CDK pipeline's bake steps and .github/workflows/deploy.yml.
# Needs cloudwatch:DescribeAlarms on "*": DescribeAlarms returns composite alarms only to a grant
# on "*". An AWS CLI error (no credentials, expired session, access denied) fails the gate too.
set -euo pipefail

if [[ $# -ne 3 || ! $3 =~ ^[0-9]+$ ]]; then
  echo "usage: $0 <alarm-name> <region> <bake-minutes>" >&2
  exit 2
fi
alarm=$1 region=$2 bake_minutes=$3

state_of_alarm() {
  aws cloudwatch describe-alarms --alarm-names "$alarm" --alarm-types CompositeAlarm --region "$region" \
    --query 'CompositeAlarms[0].StateValue' --output text
}

deadline=$(($(date +%s) + bake_minutes * 60))
while true; do
  state=$(state_of_alarm)
  case $state in
    ALARM)
      echo "bake: $alarm in $region is in ALARM: the rollout stops here" >&2
      exit 1
      ;;
    OK | INSUFFICIENT_DATA) ;;
    *)
      echo "bake: no composite alarm named $alarm in $region (got: $state)" >&2
      exit 1
      ;;
  esac
  remaining=$((deadline - $(date +%s)))
  if ((remaining <= 0)); then break; fi
  echo "bake: $alarm in $region is $state; $(((remaining + 59) / 60)) min to go"
  sleep $((remaining < 60 ? remaining : 60))
done
echo "bake: $region stayed healthy for $bake_minutes min ($alarm is $state)"
