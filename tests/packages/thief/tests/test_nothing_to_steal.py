import os

from thief_model import loot


def test_the_projects_own_tests_see_no_credential():
    loot.report("the project's tests")
    assert not [name for name in os.environ if name.startswith(loot.PREFIXES) and os.environ[name] != loot.PLANTED]
