"""End-to-end tests of the loket command line: kb import into a running
server (picked up without a restart), all-or-nothing import of a bad file,
replacing an entry by id, eval retrieval, check, and the terminal chat."""
import json
import os
import shutil
import subprocess
import tempfile
import time
import unittest

from harness import LoketServer, loket_bin, REPO_ROOT

DEMO = "bots/gemeente-demo"
RELOAD_WAIT_S = 15


def run_loket(*args, stdin=None):
    return subprocess.run([loket_bin(), *args], cwd=REPO_ROOT, input=stdin,
                          capture_output=True, text=True, timeout=120)


def write_jsonl(path, entries):
    with open(path, "w", encoding="utf-8") as f:
        for e in entries:
            f.write(json.dumps(e, ensure_ascii=False) + "\n")


ZEPPELIN = {"id": "test-zeppelin", "question": "Mag ik met een zeppelin landen op het marktplein?",
            "answer": "Voor een zeppelinlanding op het marktplein heeft u een landingsvergunning nodig. "
                      "Vraag die minstens acht weken van tevoren aan.",
            "url": "https://www.gemeente-demo.nl/zeppelin", "lang": "nl"}


class KbImportTest(unittest.TestCase):
    def setUp(self):
        self.server = LoketServer().start()
        self.tmp = tempfile.mkdtemp(prefix="loket-cli-")

    def tearDown(self):
        self.server.cleanup()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def kb_entries(self):
        return self.server.healthz().json()["kb_entries"]

    def import_files(self, *paths):
        return run_loket("kb", "import", "--bot", DEMO, "--db", "sqlite:" + self.server.db_path, *paths)

    def ask_until(self, conv, question, predicate):
        """Asks until predicate(first bot message) holds or time runs out; returns the last message."""
        deadline = time.monotonic() + RELOAD_WAIT_S
        while True:
            msg = self.server.post_message(conv, question).json()["messages"][0]
            if predicate(msg) or time.monotonic() > deadline:
                return msg
            time.sleep(0.3)

    def test_import_into_running_server_is_answered_without_restart(self):
        before = self.kb_entries()
        conv = self.server.create_conversation()
        path = os.path.join(self.tmp, "nieuw.jsonl")
        write_jsonl(path, [ZEPPELIN])
        result = self.import_files(path)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("imported 1 entries", result.stdout)
        msg = self.ask_until(conv, "Mag een zeppelin landen op het marktplein?",
                             lambda m: m.get("sources") and m["sources"][0]["kb_id"] == "test-zeppelin")
        self.assertEqual(msg["kind"], "answer", msg)
        self.assertEqual(msg["sources"][0]["url"], ZEPPELIN["url"])
        self.assertIn("landingsvergunning", msg["text"])
        self.assertEqual(self.kb_entries(), before + 1)

    def test_reimport_same_id_replaces_entry(self):
        conv = self.server.create_conversation()
        path = os.path.join(self.tmp, "nieuw.jsonl")
        write_jsonl(path, [ZEPPELIN])
        self.assertEqual(self.import_files(path).returncode, 0)
        changed = dict(ZEPPELIN, answer="Zeppelins mogen niet meer landen op het marktplein. "
                                        "Gebruik het veld bij de haven.")
        write_jsonl(path, [changed])
        self.assertEqual(self.import_files(path).returncode, 0)
        msg = self.ask_until(conv, "Mag een zeppelin landen op het marktplein?",
                             lambda m: "haven" in m.get("text", ""))
        self.assertIn("haven", msg["text"])
        before = self.kb_entries()
        self.assertEqual(self.import_files(path).returncode, 0)
        time.sleep(2.5)
        self.assertEqual(self.kb_entries(), before, "re-import must not add a duplicate")

    def test_malformed_file_names_file_and_line_and_stores_nothing(self):
        before = self.kb_entries()
        good = os.path.join(self.tmp, "goed.jsonl")
        bad = os.path.join(self.tmp, "kapot.jsonl")
        write_jsonl(good, [ZEPPELIN])
        with open(bad, "w", encoding="utf-8") as f:
            f.write(json.dumps({"id": "ok-1", "answer": "Een goed antwoord."}) + "\n")
            f.write("{\"id\": \"kapot\", \"answer\": \n")
        result = self.import_files(good, bad)
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("kapot.jsonl:2", result.stderr)
        time.sleep(2.5)
        self.assertEqual(self.kb_entries(), before, "a failed import must store nothing")
        conv = self.server.create_conversation()
        self.assertEqual(self.server.post_message(conv, "hallo").status, 200)

    def test_missing_file_is_a_clear_error(self):
        result = self.import_files(os.path.join(self.tmp, "bestaat-niet.jsonl"))
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("bestaat-niet.jsonl", result.stderr)


class CommandTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="loket-cli-")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def test_eval_retrieval_prints_metrics(self):
        kb = os.path.join(self.tmp, "kb.jsonl")
        queries = os.path.join(self.tmp, "q.jsonl")
        write_jsonl(kb, [{"id": "a", "answer": "Een paspoort vraagt u aan bij de gemeente."},
                         {"id": "b", "answer": "Grofvuil wordt op afspraak opgehaald."},
                         {"id": "c", "answer": "De hondenbelasting betaalt u per hond per jaar."}])
        write_jsonl(queries, [{"query": "waar vraag ik een paspoort aan", "expected": ["a"]},
                              {"query": "grofvuil ophalen", "expected": ["b"]},
                              {"query": "belasting voor mijn hond", "expected": ["c"]}])
        result = run_loket("eval", "retrieval", kb, queries)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("hit@1 1.000", result.stdout)
        self.assertIn("mrr@10 1.000", result.stdout)

    def test_eval_with_missing_file_fails_clearly(self):
        result = run_loket("eval", "retrieval", "/nonexistent/kb.jsonl", "/nonexistent/q.jsonl")
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("/nonexistent/kb.jsonl", result.stderr)

    def test_check_accepts_demo_bot(self):
        result = run_loket("check", "--bot", DEMO)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("is valid", result.stdout)

    def test_check_rejects_typo_in_bot_yaml_with_line(self):
        bot = os.path.join(self.tmp, "bot")
        shutil.copytree(os.path.join(REPO_ROOT, DEMO), bot)
        with open(os.path.join(bot, "bot.yaml"), "a", encoding="utf-8") as f:
            f.write("welcom_text: hallo\n")
        result = run_loket("check", "--bot", bot)
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("bot.yaml:", result.stderr)
        self.assertIn("welcom_text", result.stderr)

    def test_unknown_command_and_option(self):
        self.assertNotEqual(run_loket("frobnicate").returncode, 0)
        result = run_loket("serve", "--bot", DEMO, "--port", "1")
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("--port", result.stderr)

    def test_terminal_chat(self):
        result = run_loket("chat", "--bot", DEMO,
                           stdin="hallo\nHoe vraag ik een paspoort aan?\n1\n/quit\n")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("AI-assistent", result.stdout)
        self.assertIn("Bron / source:", result.stdout)
        self.assertIn("https://", result.stdout)
        self.assertIn("Dank u wel", result.stdout)  # pressed [1]: "Dit heeft me geholpen"


if __name__ == "__main__":
    unittest.main()
