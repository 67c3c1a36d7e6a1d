#!/usr/bin/env python3
"""Writes Sources/CHDF5Loader/nnhdf5_trampolines.c: one forwarding function per libhdf5 call nnmodel makes.

nnmodel does not link libhdf5: it loads it with dlopen the first time an HDF5 file is touched
(Sources/CHDF5Loader/nnhdf5_loader.c), so that commands that never read HDF5 do not pay for loading
libhdf5 and the ~40 libraries it pulls in (curl, TLS, Kerberos, LDAP...). Swift calls the HDF5
API by its usual names; each name here is defined as a small function that calls the real one
through a table the loader fills.

Usage: scripts/gen-hdf5-trampolines.py [--header PATH]
Run it after using an HDF5 function nnmodel did not call before: add the name to COMMON (or to
the version-specific tables) and run the script; the C compiler then checks every signature
against hdf5.h (`__typeof__`), so a wrong parameter list does not compile.
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

# Functions called in every supported HDF5 version (1.10, 1.12, 1.14).
COMMON = """
H5Aclose H5Acreate2 H5Adelete H5Aexists H5Aget_space H5Aget_type H5Aiterate2 H5Aopen H5Aread
H5Awrite H5Dclose H5Dcreate2 H5Dget_create_plist H5Dget_offset H5Dget_space H5Dget_storage_size
H5Dget_type H5Dopen2 H5Dread H5Dwrite H5Eclear2 H5Eget_msg H5Eprint2 H5Eset_auto2 H5Ewalk2
H5Fclose H5Fcreate H5Fflush H5Fget_create_plist H5Fget_file_image H5Fget_filesize
H5Fget_obj_count H5Fopen H5Gclose H5Gcreate2 H5Gget_info H5Gopen2 H5Iget_type
H5Lcreate_external H5Lcreate_hard H5Lcreate_soft H5Lexists H5Lget_val H5Oclose
H5PLset_loading_state H5Pclose H5Pcreate H5Pget_chunk H5Pget_external_count H5Pget_layout
H5Pget_sizes H5Pget_sym_k H5Pget_userblock H5Pset_chunk H5Pset_create_intermediate_group
H5Pset_elink_cb H5Pset_external H5Pset_fapl_core H5Pset_fclose_degree H5Pset_file_image
H5Pset_virtual H5Pset_deflate H5Sclose H5Screate H5Screate_simple H5Sget_simple_extent_dims
H5Sget_simple_extent_ndims H5Sget_simple_extent_type H5Sselect_hyperslab H5Sselect_all
H5Tclose H5Tcopy H5Tget_class H5Tget_cset H5Tget_ebias H5Tget_fields H5Tget_offset H5Tget_order
H5Tget_precision H5Tget_sign H5Tget_size H5Tget_strpad H5Tis_variable_str H5Tset_cset
H5Tset_order H5Tset_size H5Tset_strpad H5check_version H5get_libversion H5open
""".split()

# Called only by the HDF5 1.10 branches of Sources/CHDF5/shim.h (taken from the header).
BEFORE_1_12 = "H5Literate H5Lget_info H5Oget_info2 H5Oget_info_by_name2 H5Oopen_by_addr H5Dvlen_reclaim".split()

# Called only by the 1.12+ branches; not in a 1.10 header, so written out here (checked against the
# header by the compiler when built with HDF5 1.12 or later).
FROM_1_12 = [
    ("herr_t", "H5Literate2", "hid_t grp_id, H5_index_t idx_type, H5_iter_order_t order, hsize_t *idx, H5L_iterate2_t op, void *op_data"),
    ("herr_t", "H5Lget_info2", "hid_t loc_id, const char *name, H5L_info2_t *linfo, hid_t lapl_id"),
    ("herr_t", "H5Oget_info3", "hid_t loc_id, H5O_info2_t *oinfo, unsigned fields"),
    ("herr_t", "H5Oget_info_by_name3", "hid_t loc_id, const char *name, H5O_info2_t *oinfo, unsigned fields, hid_t lapl_id"),
    ("hid_t", "H5Iget_file_id", "hid_t id"),
    ("herr_t", "H5VLnative_token_to_addr", "hid_t loc_id, H5O_token_t token, haddr_t *addr"),
    ("herr_t", "H5VLnative_addr_to_token", "hid_t loc_id, haddr_t addr, H5O_token_t *token"),
    ("hid_t", "H5Oopen_by_token", "hid_t loc_id, H5O_token_t token"),
    ("herr_t", "H5Treclaim", "hid_t type_id, hid_t space_id, hid_t plist_id, void *buf"),
]

# What a forwarding function returns when libhdf5 could not be loaded: the library's own
# failure value for that return type.
FAILURE = {"size_t": "0", "hsize_t": "0", "haddr_t": "HADDR_UNDEF", "void": None}


def find_header():
    for path in ("/usr/include/hdf5/serial/hdf5.h", "/usr/include/hdf5.h"):
        if os.path.exists(path):
            return path
    sys.exit("gen-hdf5-trampolines: no hdf5.h (apt-get install libhdf5-dev)")


def prototypes(header):
    with tempfile.NamedTemporaryFile("w", suffix=".c") as source:
        source.write(f'#include "{header}"\n')
        source.flush()
        text = subprocess.run(["cc", "-E", "-P", source.name], check=True, capture_output=True, text=True).stdout
    text = re.sub(r"\s+", " ", text)
    found = {}
    for declaration in text.split(";"):
        match = re.fullmatch(r"\s*(?:extern\s+)?([A-Za-z_][A-Za-z0-9_ ]*?[\s*]+)(H5[A-Za-z0-9_]+)\s*\((.*)\)\s*", declaration)
        if match:
            found[match.group(2)] = (re.sub(r"\s+", " ", match.group(1)).strip(), match.group(3).strip())
    return found


def argument_names(parameters, name):
    if parameters in ("void", ""):
        return []
    names = []
    for index, parameter in enumerate(parameters.split(",")):
        parameter = re.sub(r"\[[^\]]*\]", "", parameter).strip()
        match = re.search(r"([A-Za-z_][A-Za-z0-9_]*)\s*$", parameter)
        if not match or match.group(1) in ("int", "unsigned", "hid_t", "size_t", "hsize_t", "char", "void"):
            sys.exit(f"gen-hdf5-trampolines: {name}: parameter {index} has no name: {parameter!r}")
        names.append(match.group(1))
    return names


def trampoline(return_type, name, parameters):
    arguments = ", ".join(argument_names(parameters, name))
    failure = FAILURE.get(return_type.replace("const ", ""), "NULL" if "*" in return_type else f"({return_type})-1")
    lines = [f"{return_type} {name}({parameters}) {{",
             f"    __typeof__(&{name}) real = (__typeof__(&{name}))nn_h5_symbol(NN_H5_{name});"]
    if failure is None:
        lines.append(f"    if (real) real({arguments});")
    else:
        lines.append(f"    return real ? real({arguments}) : {failure};")
    lines.append("}")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--header", default=None)
    arguments = parser.parse_args()
    header = arguments.header or find_header()
    declared = prototypes(header)
    missing = [name for name in COMMON + BEFORE_1_12 if name not in declared]
    if missing:
        sys.exit(f"gen-hdf5-trampolines: not declared in {header}: {' '.join(missing)}")

    every = COMMON + BEFORE_1_12 + [name for _, name, _ in FROM_1_12]
    out = ["/* Generated by scripts/gen-hdf5-trampolines.py from hdf5.h; do not edit. */",
           "/* One forwarding function per HDF5 call nnmodel makes (see nnhdf5_loader.c). */",
           "#include \"nnhdf5_loader.h\"",
           "",
           "const char *const nn_h5_symbol_names[NN_H5_SYMBOL_COUNT] = {"]
    out += [f'    "{name}",' for name in every]
    out += ["};", "", "/* Whether the loaded library must define the symbol of each entry (the others belong to the",
            " * other HDF5 version's branch). */",
            "const unsigned char nn_h5_symbol_needed[NN_H5_SYMBOL_COUNT] = {"]
    out += ["    1," for _ in COMMON]
    out += ["    !NN_H5_1_12_API," for _ in BEFORE_1_12]
    out += ["    NN_H5_1_12_API," for _ in FROM_1_12]
    out += ["};", ""]
    for name in COMMON:
        out += [trampoline(declared[name][0], name, declared[name][1]), ""]
    out += ["#if !NN_H5_1_12_API", ""]
    for name in BEFORE_1_12:
        out += [trampoline(declared[name][0], name, declared[name][1]), ""]
    out += ["#else", ""]
    for return_type, name, parameters in FROM_1_12:
        out += [trampoline(return_type, name, parameters), ""]
    out += ["#endif", ""]

    enum = ["/* Generated by scripts/gen-hdf5-trampolines.py; do not edit. */",
            "#ifndef NNMODEL_HDF5_SYMBOLS_H", "#define NNMODEL_HDF5_SYMBOLS_H", "enum {"]
    enum += [f"    NN_H5_{name}," for name in every]
    enum += ["    NN_H5_SYMBOL_COUNT", "};", "#endif", ""]

    here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Sources", "CHDF5Loader")
    with open(os.path.join(here, "nnhdf5_trampolines.c"), "w") as f:
        f.write("\n".join(out))
    with open(os.path.join(here, "nnhdf5_symbols.h"), "w") as f:
        f.write("\n".join(enum))
    print(f"gen-hdf5-trampolines: {len(every)} functions from {header}")


if __name__ == "__main__":
    main()
