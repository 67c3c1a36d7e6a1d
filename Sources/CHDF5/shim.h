#ifndef NNMODEL_CHDF5_SHIM_H
#define NNMODEL_CHDF5_SHIM_H

/*
 * Bridge from Swift to libhdf5.
 *
 * Swift cannot import the object-like macros HDF5 uses for its predefined
 * types, property-list classes and flags (most of them expand to a call to
 * H5open() followed by a global), nor the version-dependent function macros
 * (H5Oget_info_by_name, H5Lget_info, ...). Each value is exposed here through
 * a small static inline function; each version-dependent call is wrapped so
 * the Swift side sees one stable signature across HDF5 1.10 / 1.12 / 1.14.
 */

#include <hdf5.h>
#include <string.h>

/* ---- library version ---------------------------------------------------- */

static inline unsigned nn_h5_version_major(void) { return H5_VERS_MAJOR; }
static inline unsigned nn_h5_version_minor(void) { return H5_VERS_MINOR; }
static inline unsigned nn_h5_version_release(void) { return H5_VERS_RELEASE; }

/* ---- file access flags -------------------------------------------------- */

static inline unsigned nn_h5f_acc_rdonly(void) { return H5F_ACC_RDONLY; }
static inline unsigned nn_h5f_acc_rdwr(void) { return H5F_ACC_RDWR; }
static inline unsigned nn_h5f_acc_trunc(void) { return H5F_ACC_TRUNC; }
static inline unsigned nn_h5f_acc_excl(void) { return H5F_ACC_EXCL; }

/* Object-type mask for H5Fget_obj_count: everything opened through this file id. */
static inline unsigned nn_h5f_obj_all_local(void) { return H5F_OBJ_ALL | H5F_OBJ_LOCAL; }

/* ---- property list classes ---------------------------------------------- */

static inline hid_t nn_h5p_file_access(void) { return H5P_FILE_ACCESS; }
static inline hid_t nn_h5p_link_access(void) { return H5P_LINK_ACCESS; }
static inline hid_t nn_h5p_link_create(void) { return H5P_LINK_CREATE; }
static inline hid_t nn_h5p_group_access(void) { return H5P_GROUP_ACCESS; }
static inline hid_t nn_h5p_dataset_access(void) { return H5P_DATASET_ACCESS; }
static inline hid_t nn_h5p_dataset_create(void) { return H5P_DATASET_CREATE; }

/* ---- predefined datatypes ----------------------------------------------- */

static inline hid_t nn_h5t_native_float(void) { return H5T_NATIVE_FLOAT; }
static inline hid_t nn_h5t_native_double(void) { return H5T_NATIVE_DOUBLE; }
static inline hid_t nn_h5t_native_uint8(void) { return H5T_NATIVE_UINT8; }
static inline hid_t nn_h5t_native_int64(void) { return H5T_NATIVE_INT64; }
static inline hid_t nn_h5t_ieee_f32le(void) { return H5T_IEEE_F32LE; }
static inline hid_t nn_h5t_ieee_f64le(void) { return H5T_IEEE_F64LE; }
static inline hid_t nn_h5t_std_i64le(void) { return H5T_STD_I64LE; }
static inline hid_t nn_h5t_c_s1(void) { return H5T_C_S1; }
static inline size_t nn_h5t_variable(void) { return H5T_VARIABLE; }

/* ---- version-dependent calls -------------------------------------------- */

/*
 * Type (H5O_type_t as int, H5O_TYPE_UNKNOWN = -1 included) of the object that
 * the hard link `name` in `loc` points to. Call only after nn_h5_link_info said
 * the link is hard, so that no link is followed. Returns a negative value on
 * failure.
 */
static inline herr_t nn_h5_object_type(hid_t loc, const char *name, hid_t lapl, int *object_type) {
#if H5_VERSION_GE(1, 12, 0)
    H5O_info2_t info;
    if (H5Oget_info_by_name3(loc, name, &info, H5O_INFO_BASIC, lapl) < 0) return -1;
#else
    H5O_info_t info;
    if (H5Oget_info_by_name2(loc, name, &info, H5O_INFO_BASIC, lapl) < 0) return -1;
#endif
    *object_type = (int)info.type;
    return 0;
}

/*
 * File address of the object header of the open object `obj` (relative to the
 * file's base address). Returns a negative value on failure.
 */
static inline herr_t nn_h5_object_address(hid_t obj, haddr_t *address) {
#if H5_VERSION_GE(1, 12, 0)
    H5O_info2_t info;
    if (H5Oget_info3(obj, &info, H5O_INFO_BASIC) < 0) return -1;
    hid_t file = H5Iget_file_id(obj);
    if (file < 0) return -1;
    herr_t status = H5VLnative_token_to_addr(file, info.token, address);
    H5Fclose(file);
    return status;
#else
    H5O_info_t info;
    if (H5Oget_info2(obj, &info, H5O_INFO_BASIC) < 0) return -1;
    *address = info.addr;
    return 0;
#endif
}

/*
 * Link type (H5L_type_t as int) of `name` in `loc` without following it, and
 * for soft/external/user links the size of the stored link value.
 * Returns a negative value on failure.
 */
static inline herr_t nn_h5_link_info(hid_t loc, const char *name, hid_t lapl,
                                     int *link_type, size_t *value_size) {
#if H5_VERSION_GE(1, 12, 0)
    H5L_info2_t info;
    if (H5Lget_info2(loc, name, &info, lapl) < 0) return -1;
#else
    H5L_info_t info;
    if (H5Lget_info(loc, name, &info, lapl) < 0) return -1;
#endif
    *link_type = (int)info.type;
    *value_size = (info.type == H5L_TYPE_HARD) ? 0 : info.u.val_size;
    return 0;
}

/*
 * Called once per link of a group, in name order, with the link's name, its
 * type (H5L_type_t as int) and, for a hard link, the address of the object
 * header it points to (relative to the file's base address; 0 for other
 * links). A non-zero return stops the walk (a negative one makes it fail).
 */
typedef int (*nn_h5_link_visitor)(const char *name, int link_type, haddr_t address, void *context);

typedef struct {
    nn_h5_link_visitor visit;
    void *context;
} nn_h5_link_walk_state;

#if H5_VERSION_GE(1, 12, 0)
static inline herr_t nn_h5_links_callback(hid_t group, const char *name, const H5L_info2_t *info, void *data) {
    nn_h5_link_walk_state *state = (nn_h5_link_walk_state *)data;
    haddr_t address = 0;
    if (info->type == H5L_TYPE_HARD && H5VLnative_token_to_addr(group, info->u.token, &address) < 0) return -1;
    return state->visit(name, (int)info->type, address, state->context);
}
#else
static inline herr_t nn_h5_links_callback(hid_t group, const char *name, const H5L_info_t *info, void *data) {
    (void)group;
    nn_h5_link_walk_state *state = (nn_h5_link_walk_state *)data;
    haddr_t address = info->type == H5L_TYPE_HARD ? info->u.address : 0;
    return state->visit(name, (int)info->type, address, state->context);
}
#endif

/*
 * Visits the links of `group` in one pass, in name order, without following
 * any. (H5Lget_name_by_idx walks an old-style group's B-tree from its first
 * node for every index, which makes listing n links cost n^2.)
 */
static inline herr_t nn_h5_links(hid_t group, nn_h5_link_visitor visit, void *context) {
    nn_h5_link_walk_state state = { visit, context };
    hsize_t index = 0;
#if H5_VERSION_GE(1, 12, 0)
    return H5Literate2(group, H5_INDEX_NAME, H5_ITER_INC, &index, nn_h5_links_callback, &state);
#else
    return H5Literate(group, H5_INDEX_NAME, H5_ITER_INC, &index, nn_h5_links_callback, &state);
#endif
}

/*
 * Opens the object (group, dataset or named datatype) whose object header is at
 * `address` in the file of `loc`, without looking up any name. Returns a
 * negative value on failure.
 */
static inline hid_t nn_h5_open_by_address(hid_t loc, haddr_t address) {
#if H5_VERSION_GE(1, 12, 0)
    H5O_token_t token;
    if (H5VLnative_addr_to_token(loc, address, &token) < 0) return -1;
    return H5Oopen_by_token(loc, token);
#else
    return H5Oopen_by_addr(loc, address);
#endif
}

/* Frees the variable-length data HDF5 allocated while reading into `buf`. */
static inline herr_t nn_h5_reclaim(hid_t type_id, hid_t space_id, void *buf) {
#if H5_VERSION_GE(1, 12, 0)
    return H5Treclaim(type_id, space_id, H5P_DEFAULT, buf);
#else
    return H5Dvlen_reclaim(type_id, space_id, H5P_DEFAULT, buf);
#endif
}

/* ---- error stack --------------------------------------------------------- */

/*
 * Called once per error-stack entry, innermost-last. `description` is the
 * entry's text, `minor` the library's text for the minor error code (may be
 * empty). `context` is passed through.
 */
typedef void (*nn_h5_error_visitor)(const char *function, const char *description,
                                    const char *minor, void *context);

typedef struct {
    nn_h5_error_visitor visit;
    void *context;
} nn_h5_error_walk_state;

static inline herr_t nn_h5_error_walk_callback(unsigned n, const H5E_error2_t *err, void *data) {
    (void)n;
    nn_h5_error_walk_state *state = (nn_h5_error_walk_state *)data;
    char minor[256];
    minor[0] = 0;
    if (H5Eget_msg(err->min_num, NULL, minor, sizeof minor) < 0) minor[0] = 0;
    minor[sizeof minor - 1] = 0;
    state->visit(err->func_name ? err->func_name : "", err->desc ? err->desc : "",
                 minor, state->context);
    return 0;
}

/* Walks the default error stack from the API call down to the innermost failure. */
static inline herr_t nn_h5_error_walk(nn_h5_error_visitor visit, void *context) {
    nn_h5_error_walk_state state = { visit, context };
    return H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, nn_h5_error_walk_callback, &state);
}

/* Switches off HDF5's automatic printing of the error stack to stderr. */
static inline herr_t nn_h5_silence_errors(void) {
    return H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

/* Clears the default error stack. */
static inline herr_t nn_h5_clear_errors(void) {
    return H5Eclear2(H5E_DEFAULT);
}

/* Prints the default error stack to stderr (used only by tests, to prove that
 * stderr capture would have seen HDF5's diagnostics). */
static inline herr_t nn_h5_print_errors(void) {
    return H5Eprint2(H5E_DEFAULT, NULL);
}

/* ---- link access policy --------------------------------------------------- */

/* External-link traversal callback that always refuses. */
static inline herr_t nn_h5_refuse_external_link(const char *parent_file_name,
                                                const char *parent_group_name,
                                                const char *child_file_name,
                                                const char *child_object_name,
                                                unsigned *acc_flags, hid_t fapl_id,
                                                void *op_data) {
    (void)parent_file_name; (void)parent_group_name; (void)child_file_name;
    (void)child_object_name; (void)acc_flags; (void)fapl_id; (void)op_data;
    return -1;
}

/* Installs nn_h5_refuse_external_link on a link (or group/dataset) access list. */
static inline herr_t nn_h5_forbid_external_links(hid_t lapl) {
    return H5Pset_elink_cb(lapl, nn_h5_refuse_external_link, NULL);
}

#endif
