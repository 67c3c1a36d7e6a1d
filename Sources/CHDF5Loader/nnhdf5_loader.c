// Loads libhdf5 on first use, so that nnmodel's commands that never touch HDF5 start without it.
//
// Debian's libhdf5 depends on about forty shared libraries (curl, TLS, Kerberos, LDAP, ...) whose
// loading and relocation cost every process ~10 ms at start-up when libhdf5 is linked. Here it is
// opened with dlopen the first time an HDF5 function is called, its version is checked against the
// headers nnmodel was compiled with (the library refuses, by aborting, to run with others), and the
// forwarding functions of nnhdf5_trampolines.c find the real ones in a table filled once.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "nnhdf5_loader.h"

static void *symbols[NN_H5_SYMBOL_COUNT];
static void *library_handle;
static char load_error[2048];
static char library_name[256];
static int load_status = -1;

static void append_error(const char *text) {
    size_t used = strlen(load_error);
    if (used + 1 >= sizeof load_error) return;
    snprintf(load_error + used, sizeof load_error - used, "%s%s", used ? "; " : "", text);
}

// Opens `name` and fills the table; 0 on success. On failure closes it again and says why.
static int try_library(const char *name) {
    char message[512];
    dlerror();
    void *handle = dlopen(name, RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
        const char *why = dlerror();
        if (why && strstr(why, name)) snprintf(message, sizeof message, "%s", why);
        else snprintf(message, sizeof message, "%s: %s", name, why ? why : "cannot be opened");
        append_error(message);
        return -1;
    }
    herr_t (*version)(unsigned *, unsigned *, unsigned *) =
        (herr_t (*)(unsigned *, unsigned *, unsigned *))dlsym(handle, "H5get_libversion");
    unsigned major = 0, minor = 0, release = 0;
    if (!version || version(&major, &minor, &release) < 0) {
        snprintf(message, sizeof message, "%s: not libhdf5 (no H5get_libversion)", name);
        append_error(message);
        dlclose(handle);
        return -1;
    }
    if (major != H5_VERS_MAJOR || minor != H5_VERS_MINOR || release != H5_VERS_RELEASE) {
        snprintf(message, sizeof message, "%s: version %u.%u.%u, but nnmodel was built with HDF5 %u.%u.%u",
                 name, major, minor, release, H5_VERS_MAJOR, H5_VERS_MINOR, H5_VERS_RELEASE);
        append_error(message);
        dlclose(handle);
        return -1;
    }
    void *found[NN_H5_SYMBOL_COUNT];
    for (int i = 0; i < NN_H5_SYMBOL_COUNT; i++) {
        found[i] = dlsym(handle, nn_h5_symbol_names[i]);
        if (!found[i] && nn_h5_symbol_needed[i]) {
            snprintf(message, sizeof message, "%s: lacks the function %s", name, nn_h5_symbol_names[i]);
            append_error(message);
            dlclose(handle);
            return -1;
        }
    }
    memcpy(symbols, found, sizeof symbols);
    library_handle = handle;
    snprintf(library_name, sizeof library_name, "%s", name);
    return 0;  // kept open for the life of the process
}

static void load_once(void) {
    const char *chosen = getenv("NNMODEL_LIBHDF5");
    if (chosen && *chosen) {
        load_status = try_library(chosen);
        return;
    }
    // The shared-object versions Debian, Ubuntu and Fedora give each HDF5 release; then the
    // development links (libhdf5-dev) that point at whichever is installed.
#define NN_STR2(x) #x
#define NN_STR(x) NN_STR2(x)
    static const char *const candidates[] = {
#if H5_VERS_MAJOR == 1 && H5_VERS_MINOR == 10
        "libhdf5_serial.so.103", "libhdf5.so.103",
#elif H5_VERS_MAJOR == 1 && H5_VERS_MINOR == 12
        "libhdf5_serial.so.200", "libhdf5.so.200",
#elif H5_VERS_MAJOR == 1 && H5_VERS_MINOR == 14
        "libhdf5_serial.so.310", "libhdf5.so.310",
#endif
        "libhdf5_serial.so", "libhdf5.so",
    };
    for (size_t i = 0; i < sizeof candidates / sizeof candidates[0]; i++) {
        if (try_library(candidates[i]) == 0) {
            load_error[0] = 0;
            load_status = 0;
            return;
        }
    }
    char message[160];
    snprintf(message, sizeof message,
             "libhdf5 " NN_STR(H5_VERS_MAJOR) "." NN_STR(H5_VERS_MINOR) "." NN_STR(H5_VERS_RELEASE)
             " is needed for HDF5 files (apt-get install libhdf5-dev, or set NNMODEL_LIBHDF5)");
    append_error(message);
    load_status = -1;
}

int nn_h5_load(void) {
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, load_once);
    return load_status;
}

const char *nn_h5_load_error(void) { return load_error; }

const char *nn_h5_library_name(void) { return library_name; }

void *nn_h5_symbol(int index) {
    if (nn_h5_load() != 0 || index < 0 || index >= NN_H5_SYMBOL_COUNT) return NULL;
    return symbols[index];
}

// ---- HDF5's predefined types and property-list classes ---------------------------------------
//
// The macros (H5T_NATIVE_FLOAT, H5P_FILE_ACCESS, ...) expand to H5open() followed by a global of
// the library, such as H5T_NATIVE_FLOAT_g. The globals are found with dlsym: each name below turns
// into a read through the pointer looked up for it, or an invalid id when the library is missing.

static hid_t invalid_id = -1;

static hid_t *global_id(const char *name) {
    if (nn_h5_load() != 0) return &invalid_id;
    hid_t *global = (hid_t *)dlsym(library_handle, name);
    return global ? global : &invalid_id;
}

#define NN_H5_GLOBAL(name) (*global_id(#name))
#define H5P_CLS_FILE_ACCESS_ID_g NN_H5_GLOBAL(H5P_CLS_FILE_ACCESS_ID_g)
#define H5P_CLS_LINK_ACCESS_ID_g NN_H5_GLOBAL(H5P_CLS_LINK_ACCESS_ID_g)
#define H5P_CLS_LINK_CREATE_ID_g NN_H5_GLOBAL(H5P_CLS_LINK_CREATE_ID_g)
#define H5P_CLS_GROUP_ACCESS_ID_g NN_H5_GLOBAL(H5P_CLS_GROUP_ACCESS_ID_g)
#define H5P_CLS_DATASET_ACCESS_ID_g NN_H5_GLOBAL(H5P_CLS_DATASET_ACCESS_ID_g)
#define H5P_CLS_DATASET_CREATE_ID_g NN_H5_GLOBAL(H5P_CLS_DATASET_CREATE_ID_g)
#define H5T_NATIVE_FLOAT_g NN_H5_GLOBAL(H5T_NATIVE_FLOAT_g)
#define H5T_NATIVE_DOUBLE_g NN_H5_GLOBAL(H5T_NATIVE_DOUBLE_g)
#define H5T_NATIVE_UINT8_g NN_H5_GLOBAL(H5T_NATIVE_UINT8_g)
#define H5T_NATIVE_INT64_g NN_H5_GLOBAL(H5T_NATIVE_INT64_g)
#define H5T_IEEE_F32LE_g NN_H5_GLOBAL(H5T_IEEE_F32LE_g)
#define H5T_IEEE_F64LE_g NN_H5_GLOBAL(H5T_IEEE_F64LE_g)
#define H5T_STD_I64LE_g NN_H5_GLOBAL(H5T_STD_I64LE_g)
#define H5T_C_S1_g NN_H5_GLOBAL(H5T_C_S1_g)

hid_t nn_h5p_file_access(void) { return H5P_FILE_ACCESS; }
hid_t nn_h5p_link_access(void) { return H5P_LINK_ACCESS; }
hid_t nn_h5p_link_create(void) { return H5P_LINK_CREATE; }
hid_t nn_h5p_group_access(void) { return H5P_GROUP_ACCESS; }
hid_t nn_h5p_dataset_access(void) { return H5P_DATASET_ACCESS; }
hid_t nn_h5p_dataset_create(void) { return H5P_DATASET_CREATE; }
hid_t nn_h5t_native_float(void) { return H5T_NATIVE_FLOAT; }
hid_t nn_h5t_native_double(void) { return H5T_NATIVE_DOUBLE; }
hid_t nn_h5t_native_uint8(void) { return H5T_NATIVE_UINT8; }
hid_t nn_h5t_native_int64(void) { return H5T_NATIVE_INT64; }
hid_t nn_h5t_ieee_f32le(void) { return H5T_IEEE_F32LE; }
hid_t nn_h5t_ieee_f64le(void) { return H5T_IEEE_F64LE; }
hid_t nn_h5t_std_i64le(void) { return H5T_STD_I64LE; }
hid_t nn_h5t_c_s1(void) { return H5T_C_S1; }
size_t nn_h5t_variable(void) { return H5T_VARIABLE; }
