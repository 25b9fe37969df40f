"""test_durability.py - acknowledged turns survive a kill -9 of `loket serve`.

Loader threads post to several conversations as fast as they can and record every turn the
server acknowledged (200). After about 1.5 s the server is killed with SIGKILL in the middle of
that load, started again on the same database, and every acknowledged user turn and its bot
reply must be in the transcript. The restarted server must then work normally.
"""

import http.client
import threading
import time
import unittest

from harness import LoketServer

CONVERSATIONS = 8
LOADER_THREADS = 4
LOAD_SECONDS = 1.5
QUESTIONS = ["Hoe vraag ik een rijbewijs aan?", "hallo", "Wanneer wordt het afval opgehaald?",
             "Hoe laat vertrekt de trein naar Parijs?", "Hoe verhuis ik naar een andere gemeente?"]


class DurabilityTest(unittest.TestCase):

    def setUp(self):
        self.server = LoketServer().start()
        self.addCleanup(self.server.cleanup)

    def load_until_killed(self, convs):
        """Posts from several threads, kills the server mid-load; returns the acknowledged turns
        as a list of (conversation index, user text, bot messages)."""
        acknowledged = []
        lock = threading.Lock()
        stop = threading.Event()
        counter = iter(range(1_000_000))

        def loader(thread_index):
            mine = [i for i in range(len(convs)) if i % LOADER_THREADS == thread_index]
            turn = 0
            while not stop.is_set():
                index = mine[turn % len(mine)]
                with lock:
                    number = next(counter)
                text = "%s (bericht %d)" % (QUESTIONS[number % len(QUESTIONS)], number)
                turn += 1
                try:
                    response = self.server.post_message(convs[index], text=text)
                except (OSError, http.client.HTTPException):
                    continue  # the server is gone: nothing acknowledged
                if response.status == 200:
                    with lock:
                        acknowledged.append((index, text, response.json()["messages"]))

        threads = [threading.Thread(target=loader, args=(i,)) for i in range(LOADER_THREADS)]
        for thread in threads:
            thread.start()
        time.sleep(LOAD_SECONDS)
        self.server.kill9()
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
        self.assertFalse(any(t.is_alive() for t in threads), "loader threads still running")
        return acknowledged

    def test_acknowledged_turns_survive_kill_9(self):
        convs = [self.server.create_conversation() for _ in range(CONVERSATIONS)]
        acknowledged = self.load_until_killed(convs)
        self.assertGreater(len(acknowledged), 0, "no turn was acknowledged before the kill")

        self.server.restart()

        transcripts = []
        for conv in convs:
            response = self.server.transcript(conv)
            self.assertEqual(response.status, 200, response)
            transcripts.append(response.json()["messages"])

        missing = []
        for index, text, bot_messages in acknowledged:
            messages = transcripts[index]
            user_texts = [m["text"] for m in messages if m["role"] == "user"]
            if text not in user_texts:
                missing.append(text)
                continue
            by_seq = {m["seq"]: m for m in messages}
            for bot in bot_messages:
                stored = by_seq.get(bot["seq"])
                self.assertIsNotNone(stored, "bot reply seq %d to %r lost" % (bot["seq"], text))
                self.assertEqual(stored["role"], "bot")
                self.assertEqual(stored["text"], bot["text"])
        self.assertEqual(missing, [], "%d of %d acknowledged turns lost after kill -9"
                         % (len(missing), len(acknowledged)))

        for messages in transcripts:
            seqs = [m["seq"] for m in messages]
            self.assertEqual(seqs, sorted(set(seqs)), "seq not strictly increasing: %r" % seqs)

        # The restarted server carries on: old conversations and new ones.
        response = self.server.post_message(convs[0], text="Hoe vraag ik een rijbewijs aan?")
        self.assertEqual(response.status, 200, response)
        fresh = self.server.create_conversation()
        response = self.server.post_message(fresh, text="hallo")
        self.assertEqual(response.status, 200, response)
        self.assertEqual(self.server.healthz().status, 200)

    def test_clean_stop_and_restart_keeps_conversations(self):
        conv = self.server.create_conversation()
        response = self.server.post_message(conv, text="Hoe vraag ik een rijbewijs aan?")
        self.assertEqual(response.status, 200, response)
        self.server.stop()
        self.server.start()
        response = self.server.transcript(conv)
        self.assertEqual(response.status, 200, response)
        users = [m["text"] for m in response.json()["messages"] if m["role"] == "user"]
        self.assertEqual(users, ["Hoe vraag ik een rijbewijs aan?"])
        # The old token still works, a wrong one still does not.
        self.assertEqual(self.server.post_message(conv, text="hallo").status, 200)
        self.assertEqual(self.server.post_message(conv, text="hallo", token="0" * 64).status, 401)


if __name__ == "__main__":
    unittest.main()
