"""The pure graph algorithms behind the flow rules."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from scriptflow.checks.graphalg import (
    cycle_through,
    longest_weighted_path,
    must_dataflow,
    reachable,
    reverse,
    strongly_connected,
)

ADJ = {"a": ["b"], "b": ["c", "a"], "c": ["d"], "d": [], "e": ["e"]}


def test_reachable_and_reverse() -> None:
    assert reachable(ADJ, ["a"]) == {"a", "b", "c", "d"}
    assert reachable(reverse(ADJ), ["d"]) == {"a", "b", "c", "d"}
    assert reachable(ADJ, ["missing"]) == set()


def test_strongly_connected_components() -> None:
    components = sorted(sorted(c) for c in strongly_connected(ADJ))
    assert components == [["a", "b"], ["c"], ["d"], ["e"]]


def test_cycle_is_deterministic_and_shortest() -> None:
    assert cycle_through(ADJ, "a", {"a", "b"}) == ["a", "b", "a"]
    assert cycle_through(ADJ, "e", {"e"}) == ["e", "e"]


def test_longest_path_cuts_loops() -> None:
    adj = {"s": ["q1", "q2"], "q1": ["q2", "end"], "q2": ["q3", "s"], "q3": ["end"],
           "end": []}
    score, path = longest_weighted_path(adj, "s", lambda n: n.startswith("q"),
                                        lambda n: n == "end")
    assert (score, path) == (3, ["s", "q1", "q2", "q3", "end"])


def test_must_dataflow_intersects_paths() -> None:
    # s -> a (learns 1) -> m ; s -> b (learns 2) -> m ; m -> c (learns 1|2)
    adj = {"s": ["a", "b"], "a": ["m"], "b": ["m"], "m": ["c"], "c": [], "x": []}
    learns = {"a": 1, "b": 2, "c": 3}
    known = must_dataflow(adj, {"s": 0}, lambda v, k: k | learns.get(v, 0), universe=7)
    assert known == {"s": 0, "a": 0, "b": 0, "m": 0, "c": 0}
    adj2 = {"s": ["a"], "a": ["m"], "m": ["c", "a"], "c": []}
    known2 = must_dataflow(adj2, {"s": 0}, lambda v, k: k | learns.get(v, 0), universe=7)
    assert known2 == {"s": 0, "a": 0, "m": 1, "c": 1}


_graphs = st.integers(1, 8).flatmap(lambda n: st.lists(
    st.lists(st.integers(0, n - 1), max_size=3), min_size=n, max_size=n))


@given(_graphs)
def test_scc_partition_property(rows: list[list[int]]) -> None:
    adj = {i: row for i, row in enumerate(rows)}
    components = strongly_connected(adj)
    flat = [v for c in components for v in c]
    assert sorted(flat) == list(adj)
    for component in components:
        for v in component:
            assert set(component) <= reachable(adj, [v])


@given(_graphs)
def test_reachable_is_closed(rows: list[list[int]]) -> None:
    adj = {i: row for i, row in enumerate(rows)}
    seen = reachable(adj, [0])
    assert all(w in seen for v in seen for w in adj[v])
