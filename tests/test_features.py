from xtl.features import IGNORE, collate, encode


def test_tagging_labels_first_subword_only(tiny):
    tokenizer, _ = tiny
    rows = [{"tokens": ["Angela", "Merkel", "visited", "Paris", "."], "tags": [1, 2, 0, 5, 0]}]
    item = encode(rows, "token_tagging", tokenizer, 64, train=True).items[0]
    pieces = tokenizer.convert_ids_to_tokens(item["input_ids"])
    assert "".join(pieces[3:5]) == "▁visited" and pieces[5] == "▁Paris"  # two sub-words for 'visited'
    assert item["labels"][3] == 0 and item["labels"][4] == IGNORE
    assert [item["labels"][p] for _, p in item["first_positions"]] == [1, 2, 0, 5, 0]
    assert item["labels"][0] == IGNORE and item["labels"][-1] == IGNORE  # <s> and </s>


def test_tagging_truncation_keeps_only_visible_words(tiny):
    tokenizer, _ = tiny
    rows = [{"tokens": ["Paris"] * 20, "tags": [5] * 20}]
    item = encode(rows, "token_tagging", tokenizer, 8, train=True).items[0]
    assert len(item["input_ids"]) == 8
    assert [w for w, _ in item["first_positions"]] == list(range(6))


def test_qa_window_holds_answer_or_points_at_cls(tiny):
    tokenizer, _ = tiny
    context = "The cat sat on the mat and " * 6 + "Paris is the capital of France ."
    start = context.index("Paris")
    rows = [{"id": "q", "context": context, "question": "What is the capital of France?",
             "answers": {"text": ["Paris"], "answer_start": [start]}}]
    feats = encode(rows, "extractive_qa", tokenizer, 32, train=True, doc_stride=8)
    assert len(feats) > 1  # the context overflows into several windows
    hits = [i for i in feats.items if i["start_positions"] > 0]
    assert hits, "some window must contain the answer"
    for item in hits:
        s, e = item["start_positions"], item["end_positions"]
        assert context[item["offsets"][s][0]:item["offsets"][e][1]].strip() == "Paris"
    assert all((i["start_positions"], i["end_positions"]) == (0, 0) for i in feats.items if i not in hits)


def test_multiple_choice_and_collate_pad(tiny):
    tokenizer, _ = tiny
    rows = [{"context": "He was hungry.", "question": "What did he do?", "choices": ["ate", "slept", "ran"], "label": 2}]
    feats = encode(rows, "multiple_choice", tokenizer, 64, train=True)
    batch = collate(feats.items, tokenizer.pad_token_id)
    assert batch["input_ids"].shape[:2] == (1, 3)
    assert batch["labels"].tolist() == [2]
    assert (batch["attention_mask"] == (batch["input_ids"] != tokenizer.pad_token_id)).all()


def test_collate_pads_labels_with_ignore(tiny):
    tokenizer, _ = tiny
    rows = [{"tokens": ["Paris"], "tags": [5]}, {"tokens": ["Angela", "Merkel", "visited"], "tags": [1, 2, 0]}]
    feats = encode(rows, "token_tagging", tokenizer, 64, train=True)
    batch = collate(feats.items, tokenizer.pad_token_id)
    assert batch["labels"].shape == batch["input_ids"].shape
    assert batch["labels"][0, -1].item() == IGNORE
