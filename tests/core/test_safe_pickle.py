import os
import pickle

import numpy as np
import pytest

from vatp_core.safe_pickle import UnsafePickleError, safe_load, safe_loads


class Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


def test_plain_data_and_numpy_round_trip():
    obj = {("a", 1): [1.5, np.float64(2.0), np.arange(6).reshape(2, 3)], "s": {1, 2}}
    back = safe_loads(pickle.dumps(obj))
    assert back[("a", 1)][0] == 1.5 and float(back[("a", 1)][1]) == 2.0
    np.testing.assert_array_equal(back[("a", 1)][2], np.arange(6).reshape(2, 3))


def test_code_execution_is_refused():
    with pytest.raises(UnsafePickleError):
        safe_loads(pickle.dumps(Evil()))


def test_real_dataset_pickles_load(shared_datasets):
    ann = safe_load(shared_datasets / "mtl-aqa" / "final_annotations_dict_with_dive_number.pkl")
    assert len(ann) == 1412
    assert len(safe_load(shared_datasets / "finediving" / "Sub_action_Types_Table.pkl")) == 42
