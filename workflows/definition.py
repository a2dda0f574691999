"""Turn a workflow definition (plain data) into a checked object with one shared machine."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from functools import cached_property
from types import SimpleNamespace

from transitions import Machine
from transitions.extensions import GraphMachine

from workflows.guards import GUARDS
from workflows.roles import ALL_ROLE_NAMES

DATA_FIELD_TYPES = ("date", "text")
# Graphviz measures text with this font list (fontconfig) and the browser draws it with the same
# list: Sarabun when installed, else Laksaman (Debian's fonts-tlwg-laksaman), both Thai.
DIAGRAM_FONT = '"Sarabun,Laksaman,sans-serif"'
# How ``on_enter`` names an entry action: "package.module:function", where the function lives.
ACTION_REFERENCE = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*:[A-Za-z_]\w*")


class DefinitionError(ValueError):
    """A workflow definition is inconsistent (unknown state, role or guard)."""


@dataclass(frozen=True)
class TransitionSpec:
    trigger: str
    source: str
    dest: str
    roles: tuple[str, ...]
    guards: tuple[str, ...] = ()
    unless: tuple[str, ...] = ()
    comment_required: bool = False
    # Facts the actor must record with this step, by name and type ("date" or "text"), e.g. the
    # committee's meeting date and resolution number.
    data_fields: tuple[tuple[str, str], ...] = ()
    # Separation of duties: the person the row belongs to may not take this step on it, whatever
    # roles they hold (an SSO admin cannot approve their own access request).
    not_by_applicant: bool = False
    # A composite step: its use case changes other rows beside this one (a transfer ends the
    # person's access at the old organisation), so it is taken only where that use case lives,
    # named here ("/sso/transfer"); the generic fire endpoints refuse it (``use_dedicated_endpoint``).
    composite: str | None = None


@dataclass
class WorkflowDefinition:
    """A named, versioned state machine with roles, guards and rule data."""

    data: dict
    name: str = field(init=False)
    version: int = field(init=False)

    def __post_init__(self) -> None:
        try:
            self._read(self.data)
        except (KeyError, TypeError, ValueError) as exc:
            name = self.data.get("name", "?") if isinstance(self.data, dict) else "?"
            raise DefinitionError(f"workflow {name}: malformed definition ({exc!r})") from exc
        self._validate()

    def _read(self, d: dict) -> None:
        self.name = d["name"]
        self.version = int(d["version"])
        self.initial: str = d["initial"]
        self.states: dict[str, dict] = d["states"]
        self.trigger_labels: dict[str, dict] = d.get("triggers", {})
        self.rules: dict = d.get("rules", {})
        self.requires: dict[str, list] = d.get("requires", {})
        self.effects: tuple[str, ...] = tuple(d.get("effects", ()))
        # Work entering a state does in the transition's transaction, in this order, named as
        # "package.module:function"; the engine resolves the names (this package imports no service).
        self.on_enter: dict[str, tuple[str, ...]] = {
            state: tuple(actions) if isinstance(actions, (list, tuple)) else actions
            for state, actions in d.get("on_enter", {}).items()
        }
        self.transitions: tuple[TransitionSpec, ...] = tuple(
            TransitionSpec(
                trigger=t["trigger"],
                source=t["source"],
                dest=t["dest"],
                roles=tuple(t["roles"]),
                guards=tuple(t.get("guards", ())),
                unless=tuple(t.get("unless", ())),
                comment_required=bool(t.get("comment_required", False)),
                data_fields=tuple((name, kind) for name, kind in t.get("data", {}).items()),
                not_by_applicant=bool(t.get("not_by_applicant", False)),
                composite=t.get("composite"),
            )
            for t in d["transitions"]
        )

    def _validate(self) -> None:
        where = f"workflow {self.name} v{self.version}"
        title = self.data.get("title")
        if not isinstance(title, dict) or not title.get("th"):
            raise DefinitionError(f"{where}: has no Thai title")
        if self.initial not in self.states:
            raise DefinitionError(f"{where}: initial state {self.initial!r} is not a state")
        for state, labels in self.states.items():
            if not isinstance(labels, dict) or not labels.get("th"):
                raise DefinitionError(f"{where}: state {state!r} has no Thai label")
        if not self.transitions:
            raise DefinitionError(f"{where}: has no transitions")
        for t in self.transitions:
            for state in (t.source, t.dest):
                if state not in self.states:
                    raise DefinitionError(f"{where}: {t.trigger} names unknown state {state!r}")
            for role in t.roles:
                if role not in ALL_ROLE_NAMES:
                    raise DefinitionError(f"{where}: {t.trigger} names unknown role {role!r}")
            if not t.roles:
                raise DefinitionError(f"{where}: {t.trigger} from {t.source} has no roles")
            for guard in (*t.guards, *t.unless):
                if guard not in GUARDS:
                    raise DefinitionError(f"{where}: {t.trigger} names unknown guard {guard!r}")
            if not self.trigger_labels.get(t.trigger, {}).get("th"):
                raise DefinitionError(f"{where}: trigger {t.trigger!r} has no label")
            if t.composite is not None and not (isinstance(t.composite, str) and t.composite.startswith("/")):
                raise DefinitionError(
                    f"{where}: {t.trigger} is composite but names no dedicated endpoint ('/...')"
                )
            for field_name, kind in t.data_fields:
                if kind not in DATA_FIELD_TYPES:
                    raise DefinitionError(
                        f"{where}: {t.trigger} field {field_name!r} has unknown type {kind!r}"
                    )
        for state, needs in self.requires.items():
            if state not in self.states:
                raise DefinitionError(f"{where}: requires names unknown state {state!r}")
            for need in needs:
                if isinstance(need, dict) and need.get("when") not in GUARDS:
                    raise DefinitionError(f"{where}: requires names unknown guard {need!r}")
                needed = need.get("trigger") if isinstance(need, dict) else need
                # A typo here would make the approval check vacuous, so it must name a trigger.
                if needed not in {t.trigger for t in self.transitions}:
                    raise DefinitionError(f"{where}: requires names unknown trigger {needed!r}")
        for state, actions in self.on_enter.items():
            if state not in self.states:
                raise DefinitionError(f"{where}: on_enter names unknown state {state!r}")
            if not isinstance(actions, tuple):
                raise DefinitionError(f"{where}: on_enter of state {state!r} is not a list of actions")
            for action in actions:
                if not isinstance(action, str) or not ACTION_REFERENCE.fullmatch(action):
                    raise DefinitionError(
                        f"{where}: on_enter of state {state!r} names {action!r}, "
                        "not a 'package.module:function' reference"
                    )
            if len(set(actions)) != len(actions):
                raise DefinitionError(f"{where}: on_enter of state {state!r} names an action twice")

    # -- queries -----------------------------------------------------------------------------
    @property
    def key(self) -> str:
        return f"{self.name}@{self.version}"

    @cached_property
    def trigger_names(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(t.trigger for t in self.transitions))

    def transitions_from(self, state: str) -> list[TransitionSpec]:
        return [t for t in self.transitions if t.source == state]

    def guards_hold(self, spec: TransitionSpec, instance) -> bool:
        """Whether ``spec``'s guards let ``instance`` take it (pure: reads the row only)."""
        return all(GUARDS[g](instance, self.rules) for g in spec.guards) and not any(
            GUARDS[g](instance, self.rules) for g in spec.unless
        )

    def candidates(self, instance, trigger: str) -> list[TransitionSpec]:
        """Transitions named ``trigger`` leaving the instance's current state."""
        return [t for t in self.transitions if t.trigger == trigger and t.source == instance.status]

    def dedicated_endpoint(self, trigger: str) -> str | None:
        """Where a composite step ``trigger`` is taken (from any state), or None for a plain step."""
        return next((t.composite for t in self.transitions if t.trigger == trigger and t.composite), None)

    def required_triggers(self, state: str, instance) -> list[str]:
        """Triggers that must appear in the current round of history to stand in ``state``."""
        needed = []
        for need in self.requires.get(state, ()):
            if isinstance(need, str):
                needed.append(need)
            elif GUARDS[need["when"]](instance, self.rules):
                needed.append(need["trigger"])
        return needed

    def entry_actions(self, state: str) -> tuple[str, ...]:
        """The entry actions ``state`` names, as "package.module:function" references, in order."""
        return self.on_enter.get(state, ())

    def label(self, state: str, locale: str = "th") -> str:
        labels = self.states.get(state, {})
        return labels.get(locale) or labels.get("th") or state

    def trigger_label(self, trigger: str, locale: str = "th") -> str:
        labels = self.trigger_labels.get(trigger, {})
        return labels.get(locale) or labels.get("th") or trigger

    def title(self, locale: str = "th") -> str:
        return self.data["title"].get(locale) or self.data["title"]["th"]

    # -- machines ----------------------------------------------------------------------------
    def _machine_transitions(self) -> list[dict]:
        rules = self.rules

        def predicate(name):
            guard = GUARDS[name]
            return lambda event: guard(event.model, rules)

        return [
            {
                "trigger": t.trigger,
                "source": t.source,
                "dest": t.dest,
                "conditions": [predicate(g) for g in t.guards],
                "unless": [predicate(g) for g in t.unless],
            }
            for t in self.transitions
        ]

    @cached_property
    def machine(self) -> Machine:
        """The one machine that serves every row of this definition version."""
        return Machine(
            model=None,
            states=list(self.states),
            transitions=self._machine_transitions(),
            initial=None,
            auto_transitions=False,
            send_event=True,
            model_attribute="status",
        )

    def dot(self, current: str | None = None, locale: str = "th") -> str:
        """Graphviz DOT text of the state diagram, labelled in ``locale``, ``current`` filled in."""

        def quoted(text: str) -> str:
            return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'

        font = f"fontname={DIAGRAM_FONT}"
        ink, line = '"#1d2530"', '"#5a6472"'
        lines = [
            f"digraph {quoted(self.key)} {{",
            f'  graph [rankdir=TB, bgcolor="transparent", nodesep=0.3, ranksep=0.35, {font}];',
            f'  node [shape=box, style="rounded,filled", fillcolor="#ffffff", color={line},'
            f' fontcolor={ink}, {font}, fontsize=14, margin="0.15,0.06"];',
            f"  edge [color={line}, fontcolor={ink}, {font}, fontsize=12];",
            f'  "[*]" [shape=circle, style=filled, fillcolor={ink}, label="", width=0.18, fixedsize=true];',
            f'  "[*]" -> {quoted(self.initial)};',
        ]
        for state in self.states:
            attributes = f"label={quoted(self.label(state, locale))}"
            if state == current:
                # The page's brand colour, white bold text and a thick border: visible without colour too.
                attributes = (
                    f"label=<<B>{html.escape(self.label(state, locale))}</B>>,"
                    f' fillcolor="#1f4e8c", color={ink}, fontcolor="#ffffff", penwidth=3'
                )
            lines.append(f"  {quoted(state)} [{attributes}];")
        for t in self.transitions:
            label = quoted(" " + self.trigger_label(t.trigger, locale) + " ")
            lines.append(f"  {quoted(t.source)} -> {quoted(t.dest)} [label={label}];")
        lines.append("}")
        return "\n".join(lines) + "\n"

    def mermaid(self, current: str | None = None, locale: str = "th") -> str:
        """Mermaid state diagram text (drawn by transitions), ``current`` highlighted if given."""
        holder = SimpleNamespace()
        machine = GraphMachine(
            model=holder,
            states=list(self.states),
            transitions=[
                {"trigger": t.trigger, "source": t.source, "dest": t.dest} for t in self.transitions
            ],
            initial=self.initial,
            auto_transitions=False,
            graph_engine="mermaid",
            title=self.key,
            model_attribute="status",
        )
        if current is not None:
            machine.set_state(current, model=holder)
        lines = []
        for line in holder.get_graph(force_new=True).draw(None).splitlines():
            stripped = line.strip()
            if stripped.startswith("Class "):
                # Mermaid's keyword is lower-case; without an instance nothing is active.
                _, state, css = stripped.split()
                if current is None:
                    css = "s_default"
                line = f"  class {state} {css}"
            elif stripped.startswith('state "'):
                state = stripped.rsplit(" as ", 1)[1]
                line = f'  state "{self.label(state, locale)}" as {state}'
            elif "-->" in stripped and ": " in stripped and not stripped.startswith("[*]"):
                arrow, trigger = stripped.rsplit(": ", 1)
                line = f"  {arrow}: {self.trigger_label(trigger, locale)}"
            lines.append(line)
        return "\n".join(lines) + "\n"
