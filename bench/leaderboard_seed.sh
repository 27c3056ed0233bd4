#!/usr/bin/env bash
# Re-create the seed leaderboard entries from the published Qwen2.5-7B-Instruct MATH-500 outputs in
# ../shared/grader (re-graded by evalkit's checker, and with the published verdicts), then print the
# comparison of the two graders. Rerun after the checker changes so the record matches it.
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED="${EVALKIT_SHARED_DIR:-$(cd .. && pwd)/shared}"
G="$SHARED/grader/generations_public_qwen2.5-7b-instruct_math500.jsonl"
TOK="$SHARED/data/qwen_tokenizer/qwen2_bpe_github"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
EVALKIT="${EVALKIT:-python -m evalkit}"

$EVALKIT leaderboard import-outputs "$G" --out "$WORK/checker" --model Qwen/Qwen2.5-7B-Instruct --task math500 \
  --verdicts checker --tokenizer "$TOK"
$EVALKIT leaderboard import-outputs "$G" --out "$WORK/published" --model Qwen/Qwen2.5-7B-Instruct --task math500 \
  --verdicts published --tokenizer "$TOK"
$EVALKIT leaderboard add "$WORK/checker" --allow-partial --note "Published Qwen2.5-7B-Instruct outputs on a 200-problem random subset of MATH-500 (kuk/simple-evals-ru, commit 5fb1507; generated with that repository's prompt, not by evalkit), re-graded by evalkit's checker (version in the grader column)."
$EVALKIT leaderboard add "$WORK/published" --allow-partial --note "The same published outputs with the published judge's verdicts (not evalkit's grading); shown to compare graders."
$EVALKIT leaderboard check
$EVALKIT compare "$WORK/published" "$WORK/checker" --format markdown --plot "${PLOT:-$WORK/graders.png}"
