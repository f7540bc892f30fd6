"""The graph LangGraph's dev server runs in the comparison: one node that answers like
zaby-server's development model ("You said: <message>"), so both servers do the same
trivial work and the figures are the servers' own."""

from typing import TypedDict

from langgraph.graph import END, START, StateGraph


class State(TypedDict, total=False):
    message: str
    reply: str


def echo(state: State) -> dict:
    return {"reply": f"You said: {state['message']}"}


builder = StateGraph(State)
builder.add_node("echo", echo)
builder.add_edge(START, "echo")
builder.add_edge("echo", END)
graph = builder.compile()
