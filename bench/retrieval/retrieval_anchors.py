#!/usr/bin/python3
"""Peer retrieval engines on a knowledge-base/queries pair (the JSONL format of shared/data/eval).
Needs Debian's python3-xapian (run with /usr/bin/python3) and postgresql-15 (its dutch.stop list; the server with --pg).
Anchors: Xapian BM25 with the Snowball Dutch stemmer, SQLite FTS5 BM25, PostgreSQL FTS 'dutch'; adds:
  xapian STEM_ALL (TermGenerator+QueryParser), xapian kraaij_pohlmann stemmer (extra),
  PostgreSQL 'dutch' ts_rank + websearch_to_tsquery OR-ed (norm 0; and norm 1 as extra).
Index and query phases are timed separately (wall clock, time.perf_counter), --repeat N runs, median reported.
Usage: anchors.py KB.jsonl QUERIES.jsonl [--pg] [--repeat N] [--dump out.json]
Copied from the shared reference material, shared/tools/retrieval_anchors.py (only this line added)."""
import json, sys, sqlite3, subprocess, tempfile, os, time, statistics, shutil

def load(kb, qs):
    docs = [json.loads(l) for l in open(kb)]
    queries = [json.loads(l) for l in open(qs)]
    for d in docs:
        d["text"] = " ".join(x for x in (d.get("question", ""), d.get("answer", "")) if x)
    return docs, queries

def metrics(ranked_lists, queries):
    h1 = h3 = mrr = 0.0
    for ranked, q in zip(ranked_lists, queries):
        exp = set(q["expected"])
        for i, did in enumerate(ranked[:10]):
            if did in exp:
                mrr += 1 / (i + 1); h1 += i == 0; h3 += i < 3
                break
    n = len(queries)
    return h1 / n, h3 / n, mrr / n

# ---------------- Xapian ----------------
def xapian_engine(stem="dutch", strategy="SOME", stopfile=None):
    def run(docs, queries):
        import xapian
        t0 = time.perf_counter()
        db = xapian.WritableDatabase("", xapian.DB_BACKEND_INMEMORY)
        tg = xapian.TermGenerator(); st = xapian.Stem(stem); tg.set_stemmer(st)
        tg.set_stemming_strategy(getattr(xapian.TermGenerator, "STEM_" + strategy))
        for d in docs:
            doc = xapian.Document(); tg.set_document(doc); tg.index_text(d["text"]); doc.set_data(d["id"]); db.add_document(doc)
        t1 = time.perf_counter()
        qp = xapian.QueryParser(); qp.set_stemmer(st); qp.set_database(db)
        qp.set_stemming_strategy(getattr(xapian.QueryParser, "STEM_" + strategy)); qp.set_default_op(xapian.Query.OP_OR)
        if stopfile:  # query-side stopword removal (index unchanged)
            stopper = xapian.SimpleStopper()
            for w in open(stopfile, encoding="utf-8"): w = w.strip(); w and stopper.add(w)
            qp.set_stopper(stopper); qp.set_stopper_strategy(xapian.QueryParser.STOP_ALL) if hasattr(xapian.QueryParser, "STOP_ALL") else None
        enq = xapian.Enquire(db); enq.set_weighting_scheme(xapian.BM25Weight())
        out = []
        for q in queries:
            enq.set_query(qp.parse_query(q["query"].lower(), 0))
            out.append([m.document.get_data().decode() for m in enq.get_mset(0, 10)])
        t2 = time.perf_counter()
        return out, t1 - t0, t2 - t1
    return run

# ---------------- SQLite FTS5 ----------------
def fts5_run(docs, queries):
    t0 = time.perf_counter()
    c = sqlite3.connect(":memory:")
    c.execute("create virtual table t using fts5(id unindexed, body, tokenize='unicode61 remove_diacritics 2')")
    c.executemany("insert into t values (?,?)", [(d["id"], d["text"]) for d in docs])
    c.commit()
    t1 = time.perf_counter()
    out = []
    for q in queries:
        toks = [w for w in "".join(ch if ch.isalnum() else " " for ch in q["query"].lower()).split()]
        expr = " OR ".join('"%s"' % w for w in toks) or '""'
        out.append([r[0] for r in c.execute("select id from t where t match ? order by bm25(t) limit 10", (expr,))])
    t2 = time.perf_counter()
    return out, t1 - t0, t2 - t1

# ---------------- PostgreSQL ----------------
PGBIN = "/usr/lib/postgresql/15/bin"
PG_VARIANTS = {
    # original anchor: ts_rank_cd over plainto_tsquery with & -> |
    "postgresql fts 'dutch' (anchor: ts_rank_cd)":
        "select {i}, string_agg(id, ' ' order by r desc) from (select id, ts_rank_cd(v, q) r from t, "
        "(select replace(plainto_tsquery('dutch', '{q}')::text, '&', '|')::tsquery q) qq where v @@ q order by r desc limit 10) s;",
    "pg 'dutch' ts_rank+websearch OR":
        "select {i}, string_agg(id, ' ' order by r desc) from (select id, ts_rank(v, q) r from t, "
        "(select replace(websearch_to_tsquery('dutch', '{q}')::text, '&', '|')::tsquery q) qq where v @@ q order by r desc limit 10) s;",
    "pg 'dutch' ts_rank norm1+websearch OR":
        "select {i}, string_agg(id, ' ' order by r desc) from (select id, ts_rank(v, q, 1) r from t, "
        "(select replace(websearch_to_tsquery('dutch', '{q}')::text, '&', '|')::tsquery q) qq where v @@ q order by r desc limit 10) s;",
}

class PG:
    def __enter__(self):
        self.d = tempfile.mkdtemp(prefix="retr_pg_")
        subprocess.run(["chown", "-R", "postgres", self.d], check=True)
        self.su(f"{PGBIN}/initdb -D {self.d}/db -A trust -E UTF8 --locale=C.UTF-8")
        self.su(f"{PGBIN}/pg_ctl -D {self.d}/db -l {self.d}/log -o '-p 55432 -k {self.d} -c listen_addresses=' -w start")
        return self
    def __exit__(self, *a):
        self.su(f"{PGBIN}/pg_ctl -D {self.d}/db -m fast stop")
        shutil.rmtree(self.d, ignore_errors=True)
    def su(self, cmd):
        subprocess.run(["su", "postgres", "-c", cmd], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    def psql(self, sql):
        p = subprocess.run(["su", "postgres", "-c", f"psql -X -q -A -t -v ON_ERROR_STOP=1 -F '\t' -h {self.d} -p 55432 postgres"],
                           input=sql, capture_output=True, text=True, check=True)
        return p.stdout

esc = lambda s: s.replace("'", "''")

def pg_index(pg, docs):
    sql = ["drop table if exists t;", "create table t(id text, body text, v tsvector);"]
    for x in docs:
        sql.append(f"insert into t values ('{esc(x['id'])}', '{esc(x['text'])}', to_tsvector('dutch', '{esc(x['text'])}'));")
    t0 = time.perf_counter(); pg.psql("\n".join(sql)); return time.perf_counter() - t0

def pg_query(pg, tmpl, queries):
    qsql = [tmpl.format(i=i, q=esc(q["query"])) for i, q in enumerate(queries)]
    t0 = time.perf_counter(); outp = pg.psql("\n".join(qsql)); dt = time.perf_counter() - t0
    res = {}
    for line in outp.splitlines():
        if "\t" in line:
            i, ids = line.split("\t", 1); res[int(i)] = ids.split()
    return [res.get(i, []) for i in range(len(queries))], dt

if __name__ == "__main__":
    args = sys.argv[1:]
    rep = int(args[args.index("--repeat") + 1]) if "--repeat" in args else 1
    dump = args[args.index("--dump") + 1] if "--dump" in args else None
    docs, queries = load(args[0], args[1])
    print(f"# {args[0]}: {len(docs)} passages, {len(queries)} queries; repeat={rep}; times = median wall-clock ms [min-max]")
    engines = [
        ("xapian bm25 (dutch stem) [anchor]", xapian_engine("dutch", "SOME")),
        ("xapian bm25 dutch STEM_ALL", xapian_engine("dutch", "ALL")),
        ("xapian bm25 kraaij_pohlmann STEM_ALL", xapian_engine("kraaij_pohlmann", "ALL")),
        ("xapian kraaij_pohlmann ALL + nl stopwords", xapian_engine("kraaij_pohlmann", "ALL", "/usr/share/postgresql/15/tsearch_data/dutch.stop")),
        ("sqlite fts5 bm25 [anchor]", fts5_run),
    ]
    results, rows = {}, []
    def report(name, ranked, ti, tq):
        h1, h3, mrr = metrics(ranked, queries)
        fmt = lambda ts: f"{1000*statistics.median(ts):8.1f} [{1000*min(ts):.1f}-{1000*max(ts):.1f}]"
        print(f"{name:42s} hit@1 {h1:.3f}  hit@3 {h3:.3f}  mrr@10 {mrr:.3f}  index {fmt(ti)}  query {fmt(tq)}")
        results[name] = ranked
    for name, fn in engines:
        ti, tq, ranked = [], [], None
        for _ in range(rep):
            r, a, b = fn(docs, queries)
            if ranked is not None and r != ranked: print("  note: ranking differs between repeats (ties)", name)
            ranked = r; ti.append(a); tq.append(b)
        report(name, ranked, ti, tq)
    if "--pg" in args:
        with PG() as pg:
            ti = [pg_index(pg, docs) for _ in range(rep)]  # each rep drops and rebuilds the table
            for k, (name, tmpl) in enumerate(PG_VARIANTS.items()):
                tq, ranked = [], None
                for _ in range(rep):
                    r, b = pg_query(pg, tmpl, queries)
                    if ranked is not None and r != ranked: print("  note: ranking differs between repeats (ties)", name)
                    ranked = r; tq.append(b)
                report(name, ranked, ti if k == 0 else [0.0], tq)
    if dump:
        json.dump(results, open(dump, "w"))
