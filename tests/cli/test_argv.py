"""Options with several values as Rasa writes them (`--config a.yml b.yml`)."""

from bot.cli._argv import spread_multi_values


def test_values_after_a_multi_value_option_are_spread():
    argv = ["test", "nlu", "--config", "a.yml", "b.yml", "--runs", "3", "--percentages", "0", "25", "--out", "x"]
    assert spread_multi_values(argv) == ["test", "nlu", "--config", "a.yml", "--config", "b.yml", "--runs", "3",
                                         "--percentages", "0", "--percentages", "25", "--out", "x"]
    assert spread_multi_values(["--debug", "test", "--compare", "A", "B"]) == ["--debug", "test", "--compare", "A",
                                                                               "--compare", "B"]


def test_other_commands_are_left_alone():
    assert spread_multi_values(["train", "--config", "a.yml"]) == ["train", "--config", "a.yml"]


def test_finetune_without_a_model_gets_the_empty_value_meaning_the_newest() -> None:
    from bot.cli._argv import spread_multi_values

    assert spread_multi_values(["train", "--finetune"]) == ["train", "--finetune", ""]
    assert spread_multi_values(["train", "--finetune", "--epoch-fraction", "0.5"]) == [
        "train", "--finetune", "", "--epoch-fraction", "0.5"]
    assert spread_multi_values(["train", "--finetune", "models/a.tar.gz"]) == ["train", "--finetune", "models/a.tar.gz"]
