"""Writes h5py_types.h5: datatypes, layouts and attribute encodings written by h5py,
used by NNHDF5Tests to check the Swift reader against another implementation.

Run with h5py installed:  python make_h5py_types.py  (from this directory)
"""
import h5py
import numpy as np

with h5py.File("h5py_types.h5", "w", libver="earliest") as f:
    half = np.array([0.0, 1.0, -2.5, 65504.0, 2.0**-24, np.inf, np.nan, -0.0], dtype="<f2")
    f["f16"] = half
    f["f16_be"] = np.array([1.5, -3.0, 0.099975586], dtype=">f2")
    f["f32_be"] = np.arange(6, dtype=">f4").reshape(2, 3) / 4
    f["f64"] = np.array([1e300, -0.1, 3.0])
    f["f64_scalar"] = np.float64(3.25)
    f["i8"] = np.array([-128, 0, 127], dtype="i1")
    f["u16"] = np.array([0, 65535], dtype="<u2")
    f["i64"] = np.array([-(2**40), 7], dtype="<i8")
    f["bool"] = np.array([True, False])
    f["str_ds"] = np.array(["x", "y"], dtype=h5py.string_dtype())
    f["compound"] = np.zeros(2, dtype=[("a", "<f4"), ("b", "<i4")])
    f.create_dataset("chunked_gzip", data=np.arange(1000, dtype="<f4").reshape(100, 10),
                     chunks=(10, 10), compression="gzip", shuffle=True)

    # Compact layout through the low-level API.
    dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
    dcpl.set_layout(h5py.h5d.COMPACT)
    space = h5py.h5s.create_simple((4,))
    dsid = h5py.h5d.create(f.id, b"compact", h5py.h5t.IEEE_F32LE, space, dcpl=dcpl)
    dsid.write(h5py.h5s.ALL, h5py.h5s.ALL, np.array([1, 2, 3, 4], dtype="<f4"))

    a = f.attrs
    a["vlen_utf8"] = "h\u00e9llo \u2713"
    a.create("vlen_ascii", data=b"ascii bytes", dtype=h5py.string_dtype("ascii"))
    a["fixed_nullpad"] = np.bytes_(b"fixed")
    a["fixed_array"] = np.array([b"a", b"bcd"], dtype="S3")
    a.create("fixed_utf8", data=np.array(["\u00fc".encode(), b"ok"], dtype="S10"),
             dtype=h5py.string_dtype("utf-8", 10))
    a.create("one_element", data=["only"], dtype=h5py.string_dtype())
    a["ints"] = np.array([1, 2, 3], dtype="<i4")
    a["scalar_number"] = np.float64(2.5)
    a["empty_f64"] = np.array([])
    # Keras-style split attribute, as numpy fixed-length byte arrays (what
    # save_attributes_to_hdf5_group writes when it splits).
    a["names0"] = np.array([b"a", b"bb"], dtype="S2")
    a["names1"] = np.array([b"c"], dtype="S2")
    a["bad_utf8"] = np.bytes_(b"\xff\xfe")

    for name, pad in ((b"nullterm", h5py.h5t.STR_NULLTERM), (b"spacepad", h5py.h5t.STR_SPACEPAD)):
        t = h5py.h5t.C_S1.copy()
        t.set_size(6)
        t.set_strpad(pad)
        aid = h5py.h5a.create(f.id, name, t, h5py.h5s.create(h5py.h5s.SCALAR))
        aid.write(np.array(b"pad" + (b"\0\0\0" if pad == h5py.h5t.STR_NULLTERM else b"   "), dtype="S6"))

# Version-2 object headers ("OHDR") and dense attribute storage (libver="latest"),
# to check that the attribute validation accepts them.
with h5py.File("h5py_latest.h5", "w", libver="latest") as f:
    g = f.create_group("g")
    g.attrs["names"] = np.array([b"alpha", b"beta"], dtype=h5py.string_dtype("ascii"))
    g.attrs["title"] = "t\u00eftle"
    g.attrs["empty"] = np.array([])
    f["g/d"] = np.arange(3, dtype="<f4")
    f["g/d"].attrs["unit"] = "m"
    many = f.create_group("many")
    for i in range(20):
        many.attrs[f"a{i:02d}"] = f"value {i}"
