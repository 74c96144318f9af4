"""The Python client through every method against a real server (ENGRAM_URL; npm test starts one
and runs these), and its errors as a user sees them."""
import os
import sys
import time
from pathlib import Path
import unittest

from engram_client import Document, Engram, EngramError, Turn

ENGRAM_URL = os.environ.get("ENGRAM_URL")

DOCUMENT = """# Acme handbook

## People

Alice Johnson joined Acme in Berlin in 2019. She leads the search team and wrote the indexing
service on Neo4j.

## Offices

Acme has offices in Berlin and Lisbon.
"""


@unittest.skipUnless(ENGRAM_URL, "needs a running server: set ENGRAM_URL (npm test does)")
class EngramClientTest(unittest.TestCase):
    def setUp(self) -> None:
        self.engram = Engram(ENGRAM_URL or "")

    def test_remember_recall_context_cite(self) -> None:
        remembered = self.engram.remember(
            [
                Turn("user", "My brother Tomas keeps bees in Porto."),
                {"speaker": "assistant", "content": "Noted: Tomas is a beekeeper in Porto."},
            ],
            user_id="py-1",
            agent_id="helper",
        )
        self.assertEqual(remembered["session"]["userId"], "py-1")
        session_id = remembered["session"]["id"]
        more = self.engram.remember([Turn("user", "Tomas sells honey at the market.")], session_id=session_id)
        self.assertEqual(more["session"]["turnCount"], 3)

        recalled = self.engram.recall("Where does Tomas keep bees?", user_id="py-1", k=3)
        self.assertIn("Porto", recalled["items"][0]["text"])

        context = self.engram.context("Where does Tomas keep bees?", "o200k_base", 64, user_id="py-1")
        self.assertIn("Porto", context["text"])
        self.assertEqual(context["tokenCount"], len(context["tokenIds"]))

        first = recalled["items"][0]["id"]
        cited = self.engram.cite([first, "no-such-memory"])
        self.assertEqual([u["id"] for u in cited["updated"]], [first])
        self.assertEqual(cited["unknownIds"], ["no-such-memory"])

    def test_ingest_wait_and_search(self) -> None:
        handle = self.engram.ingest(Document(DOCUMENT, title="Handbook", namespace="py-docs"))
        document = handle.wait_until_done(poll_interval_s=0.05, timeout_s=60)
        self.assertEqual(document["status"], "completed")
        found = self.engram.search("Where did Alice Johnson join Acme?", k=3, namespace="py-docs")
        self.assertEqual(found["hits"][0]["documentId"], handle.id)

    def test_events_and_metrics_summary(self) -> None:
        now = int(time.time() * 1000)
        sent = self.engram.events.send(
            [
                {"type": "session_start", "eventId": "py-e1", "ts": now, "sessionId": "s", "agentId": "py-agent"},
                {
                    "type": "tool_call",
                    "eventId": "py-e2",
                    "ts": now,
                    "sessionId": "s",
                    "agentId": "py-agent",
                    "tool": "lookup",
                    "success": True,
                    "durationMs": 7,
                },
            ]
        )
        self.assertEqual(sent, {"accepted": 2, "rejected": []})
        deadline = time.monotonic() + 30
        summary = self.engram.metrics.summary(agent_id="py-agent")
        while summary["tools"]["calls"] == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
            summary = self.engram.metrics.summary(agent_id="py-agent")
        self.assertEqual([t["tool"] for t in summary["tools"]["byTool"]], ["lookup"])

    def test_forget_a_memory_then_a_user(self) -> None:
        self.engram.remember(
            [Turn("user", "My locker code is 4711."), Turn("user", "My bike is a green Gazelle.")],
            user_id="py-forget",
        )
        locker = self.engram.recall("What is my locker code?", user_id="py-forget")["items"][0]
        self.assertIn("4711", locker["text"])

        self.assertEqual(self.engram.forget(locker["id"])["forgotten"][0], locker["id"])
        after = self.engram.recall("What is my locker code?", user_id="py-forget")["items"]
        self.assertNotIn("4711", " ".join(item["text"] for item in after))
        with self.assertRaises(EngramError) as missing:
            self.engram.forget(locker["id"])
        self.assertEqual((missing.exception.code, missing.exception.status), ("MEMORY_NOT_FOUND", 404))

        self.assertEqual(self.engram.forget_user("py-forget"), {"deleted": 1, "sessions": 1})
        # Document chunks belong to no user, so recall may still return those.
        left = self.engram.recall("Which bike do I have?", user_id="py-forget")["items"]
        self.assertEqual([item for item in left if "Gazelle" in item["text"]], [])
        with self.assertRaises(EngramError) as gone:
            self.engram.forget_user("py-forget")
        self.assertEqual(gone.exception.code, "USER_NOT_FOUND")

    def test_errors_carry_code_message_and_request_id(self) -> None:
        with self.assertRaises(EngramError) as raised:
            self.engram.document("no-such-document")
        self.assertEqual(raised.exception.status, 404)
        self.assertEqual(raised.exception.code, "DOCUMENT_NOT_FOUND")
        self.assertIn("no-such-document", raised.exception.message)
        self.assertRegex(raised.exception.request_id or "", r"^[0-9a-f-]{36}$")

        with self.assertRaises(EngramError) as invalid:
            self.engram.recall("")
        self.assertEqual((invalid.exception.code, invalid.exception.status), ("VALIDATION_FAILED", 400))

    def test_langgraph_style_example_remembers_across_turns(self) -> None:
        sys.path.insert(0, str(Path(__file__).parent.parent / "examples"))
        from langgraph_style_memory import memory_nodes, run, toy_model

        memory = memory_nodes(self.engram)
        graph = [memory["recall"], toy_model, memory["remember"]]
        state = run(graph, {"user_id": "example-user", "session_id": None, "message": "I am allergic to peanuts."})
        state = run(graph, {**state, "message": "What am I allergic to?"})
        self.assertIn("peanuts", state["answer"])


if __name__ == "__main__":
    unittest.main()
