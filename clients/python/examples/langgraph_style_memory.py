"""Engram as the memory of a LangGraph-style agent, in plain Python (no third-party imports).

LangGraph runs an agent as nodes that each take the state and return an update to it. Memory is
two nodes around the model: one recalls what matters for the new message and puts it in the
prompt's context, one stores the exchange and cites the memories the answer used. With LangGraph
itself, register the same two functions with `StateGraph.add_node`.

    cd clients/python && ENGRAM_URL=http://127.0.0.1:8420 PYTHONPATH=. python3 examples/langgraph_style_memory.py
"""
import os
from typing import Callable, Dict, List, Optional, TypedDict

from engram_client import Engram, Turn


class AgentState(TypedDict, total=False):
    user_id: str
    session_id: Optional[str]
    message: str
    context: str
    context_ids: List[str]
    answer: str


Node = Callable[[AgentState], AgentState]


def memory_nodes(engram: Engram, max_tokens: int = 500) -> Dict[str, Node]:
    def recall(state: AgentState) -> AgentState:
        packed = engram.context(state["message"], "o200k_base", max_tokens, user_id=state["user_id"])
        return {"context": packed["text"], "context_ids": [item["id"] for item in packed["items"]]}

    def remember(state: AgentState) -> AgentState:
        stored = engram.remember(
            [Turn("user", state["message"]), Turn("assistant", state["answer"])],
            session_id=state.get("session_id"),
            user_id=state["user_id"],
        )
        if state.get("context_ids"):
            engram.cite(state["context_ids"])
        return {"session_id": stored["session"]["id"]}

    return {"recall": recall, "remember": remember}


def toy_model(state: AgentState) -> AgentState:
    """Stands in for the LLM call: answers from the recalled context."""
    known = state.get("context") or "nothing yet"
    return {"answer": f"From memory: {known.splitlines()[0]}"}


def run(graph: List[Node], state: AgentState) -> AgentState:
    """What a compiled LangGraph does for a straight line of nodes."""
    for node in graph:
        state = {**state, **node(state)}
    return state


def main() -> None:
    engram = Engram(os.environ.get("ENGRAM_URL", "http://127.0.0.1:8420"))
    memory = memory_nodes(engram)
    graph = [memory["recall"], toy_model, memory["remember"]]
    state: AgentState = {"user_id": "example-user", "session_id": None}
    for message in ["I am allergic to peanuts.", "What am I allergic to?"]:
        state = run(graph, {**state, "message": message})
        print(f"user: {message}\nagent: {state['answer']}")


if __name__ == "__main__":
    main()
