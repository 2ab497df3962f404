#!/usr/bin/env bash
# Scripted `dsc chat` session under tmux (send-keys / capture-pane): two turns, /reset, a third
# turn, then Ctrl-D. Usage: chat_tmux.sh DSC_BINARY MODEL_DIR
set -euo pipefail
dsc="$1"
model="$2"
sock="dsc_chat_test_$$"
pane_file=$(mktemp)
cleanup() { tmux -L "$sock" kill-server 2>/dev/null || true; rm -f "$pane_file"; }
trap cleanup EXIT

capture() { tmux -L "$sock" capture-pane -p -S -200 -t chat > "$pane_file"; }
# wait_for PATTERN COUNT: until PATTERN occurs at least COUNT times in the pane (60 s at most).
wait_for() {
  for _ in $(seq 1 600); do
    capture
    if [ "$(grep -E -c -- "$1" "$pane_file" || true)" -ge "$2" ]; then return 0; fi
    sleep 0.1
  done
  echo "timed out waiting for '$1' x$2; pane:"; cat "$pane_file"; exit 1
}

tmux -L "$sock" new-session -d -s chat -x 160 -y 60 \
  "$dsc chat -m $model --engine interp --kv-cache f32 --temp 0 -n 12; echo CHAT_EXITED rc=\$?; sleep 30"
wait_for '^>( |$)' 1
tmux -L "$sock" send-keys -t chat 'def add(a, b):' Enter
wait_for '^>( |$)' 2
tmux -L "$sock" send-keys -t chat 'import os' Enter
wait_for '^>( |$)' 3
tmux -L "$sock" send-keys -t chat '/reset' Enter
wait_for 'conversation cleared' 1
tmux -L "$sock" send-keys -t chat 'class Stack:' Enter
wait_for '^>( |$)' 5
tmux -L "$sock" send-keys -t chat C-d
wait_for 'CHAT_EXITED rc=0' 1
capture
# Each turn printed an answer line (something after the echoed input), and no error appeared.
if grep -q 'error' "$pane_file"; then echo "an error appeared:"; cat "$pane_file"; exit 1; fi
answers=$(grep -E -c -v -e '^>( |$)' -e '^$' -e 'dsc chat:' -e 'conversation cleared' -e 'CHAT_EXITED' -e 'note:' "$pane_file" || true)
if [ "$answers" -lt 3 ]; then echo "expected 3 answers, pane:"; cat "$pane_file"; exit 1; fi
echo "chat session OK"
