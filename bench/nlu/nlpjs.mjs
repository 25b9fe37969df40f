// nlpjs.mjs - the peer for bench_nlu: the same train/test split (written by
// `bench_nlu --dump-split`) through nlp.js v4 (@nlpjs/nlp, with @nlpjs/lang-nl
// and @nlpjs/lang-en-min), one model per language as nlp.js works. Writes the
// test predictions as JSONL for `bench_nlu --score` (so both are scored by the
// same code) and measures latency the same way: ITERS calls in a row over the
// test utterances, each timed, p50/p99. nlp.js is asynchronous; each call is
// awaited before the next, so it runs on one core like bench_nlu.
//
// Usage: node nlpjs.mjs SPLIT.jsonl PREDICTIONS.jsonl [ITERS]   (default 100000)
// The predicted intent is nlp.js's top classification, even below its own
// "None" threshold, so the accuracy compares with our argmax; its "None"
// answers are counted separately.
import { readFileSync, writeFileSync } from 'node:fs';
import { containerBootstrap } from '@nlpjs/core';
import { Nlp } from '@nlpjs/nlp';
import { LangNl } from '@nlpjs/lang-nl';
import { LangEn } from '@nlpjs/lang-en-min';

const [splitPath, predPath, itersArg] = process.argv.slice(2);
if (!splitPath || !predPath) {
  console.error('usage: node nlpjs.mjs SPLIT.jsonl PREDICTIONS.jsonl [ITERS]');
  process.exit(2);
}
const iters = Number(itersArg ?? 100000);
const items = readFileSync(splitPath, 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '')
  .map((l) => JSON.parse(l));
const train = items.filter((x) => x.split === 'train');
const test = items.filter((x) => x.split === 'test');
const unrelated = items.filter((x) => x.split === 'unrelated');
const langs = [...new Set(items.map((x) => x.lang))];

const container = await containerBootstrap();
container.use(Nlp);
container.use(LangNl);
container.use(LangEn);
const nlp = container.get('nlp');
nlp.settings.autoSave = false;
nlp.nluManager.settings.log = false;
nlp.addLanguage(langs);
for (const x of train) nlp.addDocument(x.lang, x.text, x.intent);

let t0 = process.hrtime.bigint();
await nlp.train();
const trainMs = Number(process.hrtime.bigint() - t0) / 1e6;

function top(res) {
  const c = (res.classifications || [])[0];
  return c ? { intent: c.intent, score: c.score } : { intent: null, score: 0 };
}

const preds = [];
let none = 0;
for (const x of test) {
  const res = await nlp.process(x.lang, x.text);
  const t = top(res);
  if (res.intent === 'None') none += 1;
  preds.push(JSON.stringify({ intent: x.intent, predicted: t.intent, confidence: t.score }));
}
writeFileSync(predPath, preds.join('\n') + '\n');

// Unrelated messages: the top flow score (anything but "faq" and "None"), as
// bench_nlu reports it, and how often nlp.js itself says "None".
let unrelNone = 0;
let unrelOver = 0;
let unrelSum = 0;
for (const x of unrelated) {
  const res = await nlp.process(x.lang, x.text);
  let flow = 0;
  for (const c of res.classifications || []) {
    if (c.intent !== 'faq' && c.intent !== 'None' && c.score > flow) flow = c.score;
  }
  if (res.intent === 'None') unrelNone += 1;
  if (flow >= 0.5 && res.intent !== 'None') unrelOver += 1;
  unrelSum += flow;
}

async function latency(fn) {
  const lat = new Float64Array(iters);
  for (let i = 0; i < iters; i += 1) {
    const x = test[i % test.length];
    const a = process.hrtime.bigint();
    await fn(x);
    lat[i] = Number(process.hrtime.bigint() - a) / 1e3;
  }
  lat.sort();
  return { p50: lat[Math.floor(iters / 2)], p99: lat[Math.floor(iters * 0.99)] };
}

const version = JSON.parse(
  readFileSync(new URL('./node_modules/@nlpjs/nlp/package.json', import.meta.url)),
).version;
console.log(`nlp.js ${version}, node ${process.version}: trained on ${train.length} utterances` +
  ` in ${trainMs.toFixed(0)} ms; ${none}/${test.length} test answers were "None"` +
  ' (below its threshold)');
if (unrelated.length) {
  console.log(`unrelated messages (${unrelated.length}): top flow score mean ` +
    `${(unrelSum / unrelated.length).toFixed(3)}; "None" for ${unrelNone}; ` +
    `${unrelOver} of them get a flow at 0.5 or more (and not "None")`);
}
const unrel = unrelated.length ? ` unrelated_to_flow=${unrelOver}/${unrelated.length}` : '';
if (iters > 0) {
  // Warm up the JIT first (bench_nlu's caches are warm from its quality pass).
  for (let i = 0; i < Math.min(iters, 2000); i += 1) {
    const x = test[i % test.length];
    await nlp.process(x.lang, x.text);
  }
  const full = await latency((x) => nlp.process(x.lang, x.text));
  const cls = await latency((x) => nlp.classify(x.lang, x.text));
  const us = (v) => v.toFixed(1);
  console.log(`latency over ${iters} calls (one thread): process() p50 ${us(full.p50)} us,` +
    ` p99 ${us(full.p99)} us; classify() only p50 ${us(cls.p50)} us, p99 ${us(cls.p99)} us`);
  console.log(`SUMMARY train_ms=${trainMs.toFixed(0)} p50_us=${us(full.p50)}` +
    ` p99_us=${us(full.p99)} classify_p50_us=${us(cls.p50)} classify_p99_us=${us(cls.p99)}` +
    ` none=${none}/${test.length}${unrel}`);
} else {
  console.log(`SUMMARY train_ms=${trainMs.toFixed(0)} none=${none}/${test.length}${unrel}`);
}
