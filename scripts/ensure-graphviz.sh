#!/usr/bin/env bash
# The pages draw workflow state diagrams with Graphviz's dot and label them in Thai, so the server
# needs Debian's graphviz and a Thai font (fonts-tlwg-laksaman) for dot to measure the labels.
# Without them the app still runs: the pages list the states and steps as text instead.
set -u
has_thai_font() {
  command -v fc-list >/dev/null && [ -n "$(fc-list :lang=th family 2>/dev/null | head -n 1)" ]
}
if command -v dot >/dev/null && has_thai_font; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
  echo "Installing Debian's graphviz and a Thai font for the state diagrams"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq graphviz fonts-tlwg-laksaman >/dev/null
fi
if ! command -v dot >/dev/null; then
  echo "WARNING: graphviz is not installed (apt-get install graphviz): state diagrams are shown as lists" >&2
elif ! has_thai_font; then
  echo "WARNING: no Thai font (apt-get install fonts-tlwg-laksaman): diagram labels may be cut short" >&2
fi
exit 0
