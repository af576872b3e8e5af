/* kopt's repeat launch: choose a kept Triton kernel for a call's arguments and launch it, all in C.

   Why: Triton's compiled launcher costs ~7 us of host time per call and its JITFunction.run ~14-25 us
   (benchmarks/results/h100_2026-11-25b/launch_profile*.txt); a small kernel runs for less. This module
   is the part of kopt/runtime/fast_launch.py that runs on every call once a specialization was seen:

     Launcher[grid](*args, **options)
       -> for each Plan the launcher keeps (one per specialization Triton built for it):
            the current device, the options and every argument's guard match?  pack and cuLaunchKernel
       -> none matched: the Python slow path (Triton's JITFunction.run), which may add a Plan.

   A Plan's guards are the specialization key of fast_launch.FastJIT.key, per argument (codes below):
     'c'  constexpr: same type and equal value             (not passed)
     '1'  int == 1: Triton made it a constant              (not passed)
     'i' 'I' / 'l' 'L' / 'u' 'U'  int of class i32 / i64 / u64, capital: divisible by 16   (passed as 4 / 8 / 8 bytes)
     'p' 'P'  tensor of the plan's dtype, data pointer not / 16-byte aligned               (passed as a pointer)
     'f' 'd'  Python float, passed as fp32 / fp64
   Then Triton's two scratch pointers (global, profile), NULL: a kernel needing scratch gets no Plan.
   The CUDA driver is opened with dlopen at the first launch, so this builds and imports without a GPU
   (the CPU tests drive everything but the driver call through `set_test_launch`). */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>
#include <dlfcn.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#define MAX_ARGS 128
#define CUDA_ERROR_INVALID_CONTEXT 201

typedef int (*cu_launch_t)(void *f, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by,
                           unsigned bz, unsigned shared, void *stream, void **params, void **extra);
typedef int (*cu_error_string_t)(int code, const char **text);

static cu_launch_t cu_launch = NULL;
static cu_error_string_t cu_error_string = NULL;
static PyObject *test_launch = NULL; /* set_test_launch(callable): stands in for the driver (CPU tests) */
static PyObject *s_data_ptr, *s_dtype, *s_is_cuda, *s_calls, *s_enter, *s_exit;

/* The whole-call memo (native_memo.c, appended to this file when the module is built) records the launches of
   a call here, into a list in the recording thread's state (threads record their own calls); `recordings` counts
   the threads recording, so a launch looks no further while none is. */
static Py_ssize_t recordings = 0;
static PyObject *recording_list(void);
static void recording_pause(int pause);
static int record_if_recording(PyObject *launcher, PyObject *grid, PyObject *const *args, Py_ssize_t nargs,
                               PyObject *kwnames);

/* What loading a binary needs (load_binary below), looked up with the launch itself */
static int (*cu_ctx_get_current)(void **ctx) = NULL;
static int (*cu_ctx_set_current)(void *ctx) = NULL;
static int (*cu_device_get)(int *dev, int ordinal) = NULL;
static int (*cu_primary_ctx_retain)(void **ctx, int dev) = NULL;
static int (*cu_module_load_data)(void **module, const void *image) = NULL;
static int (*cu_module_get_function)(void **fn, void *module, const char *name) = NULL;
static int (*cu_func_get_attribute)(int *value, int attr, void *fn) = NULL;
static int (*cu_device_get_attribute)(int *value, int attr, int dev) = NULL;
static int (*cu_func_set_attribute)(void *fn, int attr, int value) = NULL;
static int (*cu_func_set_cache_config)(void *fn, int config) = NULL;

static int open_driver(void) {
  if (cu_launch) return 0;
  void *lib = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    PyErr_SetString(PyExc_RuntimeError, "kopt launch: cannot open libcuda.so.1");
    return -1;
  }
  cu_error_string = (cu_error_string_t)dlsym(lib, "cuGetErrorString");
  *(void **)&cu_ctx_get_current = dlsym(lib, "cuCtxGetCurrent");
  *(void **)&cu_ctx_set_current = dlsym(lib, "cuCtxSetCurrent");
  *(void **)&cu_device_get = dlsym(lib, "cuDeviceGet");
  *(void **)&cu_primary_ctx_retain = dlsym(lib, "cuDevicePrimaryCtxRetain");
  *(void **)&cu_module_load_data = dlsym(lib, "cuModuleLoadData");
  *(void **)&cu_module_get_function = dlsym(lib, "cuModuleGetFunction");
  *(void **)&cu_func_get_attribute = dlsym(lib, "cuFuncGetAttribute");
  *(void **)&cu_device_get_attribute = dlsym(lib, "cuDeviceGetAttribute");
  *(void **)&cu_func_set_attribute = dlsym(lib, "cuFuncSetAttribute");
  *(void **)&cu_func_set_cache_config = dlsym(lib, "cuFuncSetCacheConfig");
  cu_launch = (cu_launch_t)dlsym(lib, "cuLaunchKernel"); /* last: it marks the driver open */
  if (!cu_launch) {
    PyErr_SetString(PyExc_RuntimeError, "kopt launch: libcuda.so.1 has no cuLaunchKernel");
    return -1;
  }
  return 0;
}

/* ------------------------------------------------------------------------------------------ Plan */

typedef struct {
  PyObject_HEAD
  PyObject *kernel;   /* the CompiledKernel, returned by a launch (as Triton's path returns it) */
  PyObject *codes;    /* bytes: one code per argument */
  PyObject *guards;   /* tuple: per argument the constexpr value, the tensor dtype, or None */
  PyObject *options;  /* dict: the launch options (num_warps=...) this plan was built for */
  PyObject *tensor_type;
  unsigned long long function;
  long device;
  unsigned block, shared;
  int nparams;        /* how many values the kernel takes, the scratch pointers included */
} Plan;

static int Plan_init(Plan *self, PyObject *args, PyObject *kw) {
  static char *names[] = {"kernel", "function", "block", "shared", "device", "codes", "guards", "options",
                          "tensor_type", NULL};
  PyObject *kernel, *codes, *guards, *options, *tensor_type;
  if (!PyArg_ParseTupleAndKeywords(args, kw, "OKIIlSO!O!O!", names, &kernel, &self->function, &self->block,
                                   &self->shared, &self->device, &codes, &PyTuple_Type, &guards, &PyDict_Type,
                                   &options, &PyType_Type, &tensor_type))
    return -1;
  Py_ssize_t n = PyBytes_GET_SIZE(codes);
  if (n > MAX_ARGS || PyTuple_GET_SIZE(guards) != n) {
    PyErr_SetString(PyExc_ValueError, "Plan: codes and guards differ in length, or too many arguments");
    return -1;
  }
  const char *c = PyBytes_AS_STRING(codes);
  int nparams = 2; /* the scratch pointers */
  for (Py_ssize_t i = 0; i < n; i++) {
    if (!strchr("c1iIlLuUpPfd", c[i]) || c[i] == 0) {
      PyErr_Format(PyExc_ValueError, "Plan: unknown argument code %c", c[i]);
      return -1;
    }
    nparams += c[i] != 'c' && c[i] != '1';
  }
  self->nparams = nparams;
  Py_INCREF(kernel); Py_XSETREF(self->kernel, kernel);
  Py_INCREF(codes); Py_XSETREF(self->codes, codes);
  Py_INCREF(guards); Py_XSETREF(self->guards, guards);
  Py_INCREF(options); Py_XSETREF(self->options, options);
  Py_INCREF(tensor_type); Py_XSETREF(self->tensor_type, tensor_type);
  return 0;
}

/* A Plan holds the CompiledKernel, whose source function's globals lead back to the generated module and its
   launcher: the collector must see these references, or the cycle (module, kernels, cubins) is never freed. */
static int Plan_traverse(Plan *self, visitproc visit, void *arg) {
  Py_VISIT(self->kernel); Py_VISIT(self->guards); Py_VISIT(self->options); Py_VISIT(self->tensor_type);
  return 0;
}

static int Plan_clear(Plan *self) {
  Py_CLEAR(self->kernel); Py_CLEAR(self->codes); Py_CLEAR(self->guards); Py_CLEAR(self->options);
  Py_CLEAR(self->tensor_type);
  return 0;
}

static void Plan_dealloc(Plan *self) {
  PyObject_GC_UnTrack(self);
  Plan_clear(self);
  Py_TYPE(self)->tp_free((PyObject *)self);
}

/* The int class of a Python int: the code ('i', 'I', 'l', 'L', 'u', 'U', '1'), its bits in *out; 0 when Triton
   would refuse it (outside u64) or it is not an exact int. */
static char int_code(PyObject *a, uint64_t *out) {
  if (!PyLong_CheckExact(a)) return 0;
  int overflow = 0;
  long long v = PyLong_AsLongLongAndOverflow(a, &overflow);
  if (overflow == 0) {
    if (v == -1 && PyErr_Occurred()) { PyErr_Clear(); return 0; }
    *out = (uint64_t)v;
    if (v == 1) return '1';
    int div16 = (v % 16) == 0;
    if (v >= INT32_MIN && v <= INT32_MAX) return div16 ? 'I' : 'i';
    return div16 ? 'L' : 'l';
  }
  if (overflow < 0) return 0;
  unsigned long long u = PyLong_AsUnsignedLongLong(a);
  if (u == (unsigned long long)-1 && PyErr_Occurred()) { PyErr_Clear(); return 0; }
  *out = u;
  return (u % 16) == 0 ? 'U' : 'u';
}

/* Check `args` against the plan; on a match fill `slots` (one 8-byte value per passed argument) and `params`
   (a pointer to each, then the scratch pointers) and return 1; 0 on a mismatch; -1 with an exception set. */
static int Plan_pack(Plan *p, PyObject *const *args, Py_ssize_t nargs, uint64_t *slots, void **params) {
  if (nargs != PyBytes_GET_SIZE(p->codes)) return 0;
  const char *codes = PyBytes_AS_STRING(p->codes);
  int k = 0;
  for (Py_ssize_t i = 0; i < nargs; i++) {
    PyObject *a = args[i];
    char code = codes[i];
    switch (code) {
    case 'c': {
      PyObject *want = PyTuple_GET_ITEM(p->guards, i);
      if (Py_TYPE(a) != Py_TYPE(want)) return 0;
      if (a != want) {
        int eq = PyObject_RichCompareBool(a, want, Py_EQ);
        if (eq <= 0) { if (eq < 0) PyErr_Clear(); return 0; }
      }
      continue;
    }
    case 'f': case 'd': {
      if (!PyFloat_CheckExact(a)) return 0;
      double v = PyFloat_AS_DOUBLE(a);
      if (code == 'f') { float f = (float)v; slots[k] = 0; memcpy(&slots[k], &f, sizeof f); }
      else memcpy(&slots[k], &v, sizeof v);
      break;
    }
    case 'p': case 'P': {
      if (Py_TYPE(a) != (PyTypeObject *)p->tensor_type &&
          !PyObject_TypeCheck(a, (PyTypeObject *)p->tensor_type)) return 0;
      if (!test_launch) { /* a host pointer must not reach the kernel (the CPU tests' stand-in takes CPU tensors) */
        PyObject *on_gpu = PyObject_GetAttr(a, s_is_cuda);
        if (!on_gpu) return -1;
        Py_DECREF(on_gpu);
        if (on_gpu != Py_True) return 0;
      }
      PyObject *dtype = PyObject_GetAttr(a, s_dtype);
      if (!dtype) return -1;
      Py_DECREF(dtype); /* dtypes are singletons: identity is enough, and the tuple keeps the plan's alive */
      if (dtype != PyTuple_GET_ITEM(p->guards, i)) return 0;
      PyObject *ptr = PyObject_CallMethodNoArgs(a, s_data_ptr);
      if (!ptr) return -1;
      unsigned long long v = PyLong_AsUnsignedLongLong(ptr);
      Py_DECREF(ptr);
      if (v == (unsigned long long)-1 && PyErr_Occurred()) return -1;
      if (((v % 16) == 0) != (code == 'P')) return 0;
      slots[k] = v;
      break;
    }
    default: { /* ints */
      uint64_t v;
      if (int_code(a, &v) != code) return 0;
      if (code == '1') continue;
      if (code == 'i' || code == 'I') { int32_t w = (int32_t)v; slots[k] = 0; memcpy(&slots[k], &w, sizeof w); }
      else slots[k] = v;
    }
    }
    params[k] = &slots[k];
    k++;
  }
  slots[k] = 0; params[k] = &slots[k]; k++;         /* global scratch */
  slots[k] = 0; params[k] = &slots[k]; k++;         /* profile scratch */
  return 1;
}

/* Plan.pack(*args): the bytes the kernel would be passed (8 per value), or None where the arguments do not
   match this plan. For the CPU tests: the same code as a launch, without the driver. */
static PyObject *Plan_pack_py(Plan *self, PyObject *const *args, Py_ssize_t nargs) {
  uint64_t slots[MAX_ARGS + 2];
  void *params[MAX_ARGS + 2];
  int r = Plan_pack(self, args, nargs, slots, params);
  if (r < 0) return NULL;
  if (r == 0) Py_RETURN_NONE;
  return PyBytes_FromStringAndSize((const char *)slots, (Py_ssize_t)self->nparams * 8);
}

static PyMethodDef Plan_methods[] = {
    {"pack", (PyCFunction)(void (*)(void))Plan_pack_py, METH_FASTCALL, "the packed arguments, or None"},
    {NULL}};

static PyMemberDef Plan_members[] = {
    {"kernel", T_OBJECT, offsetof(Plan, kernel), READONLY, NULL},
    {"codes", T_OBJECT, offsetof(Plan, codes), READONLY, NULL},
    {"options", T_OBJECT, offsetof(Plan, options), READONLY, NULL},
    {"device", T_LONG, offsetof(Plan, device), READONLY, NULL},
    {NULL}};

static PyTypeObject PlanType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "kopt_launch.Plan",
    .tp_basicsize = sizeof(Plan),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Plan_init,
    .tp_dealloc = (destructor)Plan_dealloc,
    .tp_traverse = (traverseproc)Plan_traverse,
    .tp_clear = (inquiry)Plan_clear,
    .tp_methods = Plan_methods,
    .tp_members = Plan_members,
};

/* -------------------------------------------------------------------------------------- Launcher */

typedef struct {
  PyObject_HEAD
  PyObject *plans;       /* list of Plan */
  PyObject *slow;        /* slow(grid, args, options): Triton's path, which may append a Plan */
  PyObject *get_device;  /* () -> int */
  PyObject *get_stream;  /* (device) -> int */
  PyObject *runtime;     /* triton.knobs.runtime: launch hooks installed (a profiler) send calls to Triton */
  PyObject *pre_run_hooks;
  Py_ssize_t native_launches;
} Launcher;

static int Launcher_init(Launcher *self, PyObject *args, PyObject *kw) {
  static char *names[] = {"slow", "get_device", "get_stream", "runtime", "pre_run_hooks", NULL};
  PyObject *slow, *get_device, *get_stream, *runtime, *hooks;
  if (!PyArg_ParseTupleAndKeywords(args, kw, "OOOOO!", names, &slow, &get_device, &get_stream, &runtime,
                                   &PyList_Type, &hooks))
    return -1;
  PyObject *plans = PyList_New(0);
  if (!plans) return -1;
  Py_XSETREF(self->plans, plans);
  Py_INCREF(slow); Py_XSETREF(self->slow, slow);
  Py_INCREF(get_device); Py_XSETREF(self->get_device, get_device);
  Py_INCREF(get_stream); Py_XSETREF(self->get_stream, get_stream);
  Py_INCREF(runtime); Py_XSETREF(self->runtime, runtime);
  Py_INCREF(hooks); Py_XSETREF(self->pre_run_hooks, hooks);
  return 0;
}

static int Launcher_traverse(Launcher *self, visitproc visit, void *arg) {
  Py_VISIT(self->plans); Py_VISIT(self->slow); Py_VISIT(self->get_device); Py_VISIT(self->get_stream);
  Py_VISIT(self->runtime); Py_VISIT(self->pre_run_hooks);
  return 0;
}

static int Launcher_clear(Launcher *self) {
  Py_CLEAR(self->plans); Py_CLEAR(self->slow); Py_CLEAR(self->get_device); Py_CLEAR(self->get_stream);
  Py_CLEAR(self->runtime); Py_CLEAR(self->pre_run_hooks);
  return 0;
}

static void Launcher_dealloc(Launcher *self) {
  PyObject_GC_UnTrack(self);
  Launcher_clear(self);
  Py_TYPE(self)->tp_free((PyObject *)self);
}

/* A launch hook is installed: Triton's knobs hold a hook chain (`.calls`, a list) or a callable or None. */
static int hooked(Launcher *self) {
  if (!self->pre_run_hooks || !self->runtime || PyList_GET_SIZE(self->pre_run_hooks)) return 1;
  PyObject *names[2] = {s_enter, s_exit};
  for (int i = 0; i < 2; i++) {
    PyObject *h = PyObject_GetAttr(self->runtime, names[i]);
    if (!h) { PyErr_Clear(); return 1; }
    if (h != Py_None) {
      PyObject *calls = PyObject_GetAttr(h, s_calls);
      int on;
      if (!calls) { PyErr_Clear(); on = 1; }
      else { on = PyObject_IsTrue(calls); Py_DECREF(calls); if (on < 0) { PyErr_Clear(); on = 1; } }
      if (on) { Py_DECREF(h); return 1; }
    }
    Py_DECREF(h);
  }
  return 0;
}

static PyObject *slow_path(Launcher *self, PyObject *grid, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames) {
  PyObject *tuple = PyTuple_New(nargs);
  PyObject *options = PyDict_New();
  PyObject *result = NULL;
  if (!tuple || !options) goto done;
  for (Py_ssize_t i = 0; i < nargs; i++) { Py_INCREF(args[i]); PyTuple_SET_ITEM(tuple, i, args[i]); }
  if (kwnames) {
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(kwnames); i++)
      if (PyDict_SetItem(options, PyTuple_GET_ITEM(kwnames, i), args[nargs + i]) < 0) goto done;
  }
  PyObject *slow = self->slow;
  Py_INCREF(slow); /* the slow path may rebind the launcher's fields */
  /* a recorded call has this launch recorded already: what the slow path launches again is not recorded twice */
  int paused = recordings && recording_list() != NULL;
  if (paused) recording_pause(1);
  result = PyObject_CallFunctionObjArgs(slow, grid, tuple, options, NULL);
  if (paused) { /* (keeping the slow path's exception, if it raised) */
    PyObject *type, *value, *tb;
    PyErr_Fetch(&type, &value, &tb);
    recording_pause(0);
    PyErr_Restore(type, value, tb);
  }
  Py_DECREF(slow);
done:
  Py_XDECREF(tuple); Py_XDECREF(options);
  return result;
}

/* Do the call's options (keyword arguments, in `kwnames`) equal the plan's? */
static int same_options(PyObject *want, PyObject *const *values, PyObject *kwnames) {
  Py_ssize_t n = kwnames ? PyTuple_GET_SIZE(kwnames) : 0;
  if (PyDict_GET_SIZE(want) != n) return 0;
  for (Py_ssize_t i = 0; i < n; i++) {
    PyObject *w = PyDict_GetItemWithError(want, PyTuple_GET_ITEM(kwnames, i));
    if (!w) { PyErr_Clear(); return 0; }
    if (w == values[i]) continue;
    if (Py_TYPE(w) != Py_TYPE(values[i])) return 0;
    int eq = PyObject_RichCompareBool(w, values[i], Py_EQ);
    if (eq <= 0) { if (eq < 0) PyErr_Clear(); return 0; }
  }
  return 1;
}

/* The grid's three dims, or 0 where it is not a tuple of 1..3 non-negative ints (a callable: Triton's path). */
static int grid_dims(PyObject *grid, unsigned dims[3]) {
  dims[0] = dims[1] = dims[2] = 1;
  if (!PyTuple_CheckExact(grid)) return 0;
  Py_ssize_t n = PyTuple_GET_SIZE(grid);
  if (n < 1 || n > 3) return 0;
  for (Py_ssize_t i = 0; i < n; i++) {
    PyObject *g = PyTuple_GET_ITEM(grid, i);
    if (!PyLong_CheckExact(g)) return 0;
    long long v = PyLong_AsLongLong(g);
    if (v < 0 || v > 0x7fffffffLL) { PyErr_Clear(); return 0; }
    dims[i] = (unsigned)v;
  }
  return 1;
}

static PyObject *launch_plan(Plan *p, unsigned dims[3], unsigned long long stream, void **params) {
  if (test_launch) {
    PyObject *packed = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)p->nparams * 8);
    if (!packed) return NULL;
    for (int i = 0; i < p->nparams; i++) memcpy(PyBytes_AS_STRING(packed) + 8 * i, params[i], 8);
    PyObject *r = PyObject_CallFunction(test_launch, "K(III)IIKN", p->function, dims[0], dims[1], dims[2],
                                        p->block, p->shared, stream, packed);
    if (!r) return NULL;
    Py_DECREF(r);
  } else {
    if (open_driver() < 0) return NULL;
    int err;
    Py_BEGIN_ALLOW_THREADS; /* as Triton's launcher: a full launch queue must not stall other threads */
    err = cu_launch((void *)(uintptr_t)p->function, dims[0], dims[1], dims[2], p->block, 1, 1, p->shared,
                    (void *)(uintptr_t)stream, params, NULL);
    Py_END_ALLOW_THREADS;
    if (err == CUDA_ERROR_INVALID_CONTEXT) return Py_NotImplemented; /* a new thread: Triton's path sets one */
    if (err) {
      const char *text = "unknown error";
      if (cu_error_string && (cu_error_string(err, &text) != 0 || !text)) text = "unknown error";
      return PyErr_Format(PyExc_RuntimeError, "kopt launch: CUDA error %d (%s)", err, text);
    }
  }
  Py_INCREF(p->kernel);
  return p->kernel;
}

/* The first kept Plan that the call's device, options and arguments match (a new reference), its arguments packed
   into `slots`/`params` and the current stream in *stream; NULL with *found 0 where none matches, -1 on an error. */
static Plan *match_plan(Launcher *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames, uint64_t *slots,
                        void **params, unsigned long long *stream, int *found) {
  *found = -1;
  PyObject *dev = PyObject_CallNoArgs(self->get_device);
  if (!dev) return NULL;
  long device = PyLong_AsLong(dev);
  if (device == -1 && PyErr_Occurred()) { Py_DECREF(dev); return NULL; }
  PyObject *plans = self->plans; /* held: guards may run Python (a tensor subclass's data_ptr, __eq__) */
  Py_INCREF(plans);
  for (Py_ssize_t j = 0; j < PyList_GET_SIZE(plans); j++) {
    PyObject *item = PyList_GET_ITEM(plans, j);
    if (!Py_IS_TYPE(item, &PlanType) || !((Plan *)item)->codes) continue; /* only initialized Plans */
    Plan *p = (Plan *)item;
    Py_INCREF(p);
    int r = 0;
    if (p->device == device && same_options(p->options, args + nargs, kwnames))
      r = Plan_pack(p, args, nargs, slots, params);
    if (r <= 0) {
      Py_DECREF(p);
      if (r < 0) { Py_DECREF(plans); Py_DECREF(dev); return NULL; }
      continue;
    }
    Py_DECREF(plans);
    PyObject *st = PyObject_CallOneArg(self->get_stream, dev);
    Py_DECREF(dev);
    *stream = st ? PyLong_AsUnsignedLongLong(st) : 0;
    Py_XDECREF(st);
    if (!st || (*stream == (unsigned long long)-1 && PyErr_Occurred())) { Py_DECREF(p); return NULL; }
    *found = 1;
    return p;
  }
  Py_DECREF(plans);
  Py_DECREF(dev);
  *found = 0;
  return NULL;
}

static PyObject *launch(Launcher *self, PyObject *grid, PyObject *const *args, size_t nargsf, PyObject *kwnames) {
  Py_ssize_t nargs = PyVectorcall_NARGS(nargsf);
  unsigned dims[3];
  if (recordings && record_if_recording((PyObject *)self, grid, args, nargs, kwnames) < 0) return NULL;
  if (!self->plans || !self->slow) {
    PyErr_SetString(PyExc_TypeError, "kopt launch: the launcher is not initialized");
    return NULL;
  }
  if (!grid_dims(grid, dims) || hooked(self)) return slow_path(self, grid, args, nargs, kwnames);
  if (dims[0] == 0 || dims[1] == 0 || dims[2] == 0) return slow_path(self, grid, args, nargs, kwnames);
  if (PyList_GET_SIZE(self->plans) == 0) return slow_path(self, grid, args, nargs, kwnames);
  uint64_t slots[MAX_ARGS + 2];
  void *params[MAX_ARGS + 2];
  unsigned long long stream;
  int found;
  Plan *p = match_plan(self, args, nargs, kwnames, slots, params, &stream, &found);
  if (!p) return found < 0 ? NULL : slow_path(self, grid, args, nargs, kwnames);
  PyObject *out = launch_plan(p, dims, stream, params);
  Py_DECREF(p);
  if (out == Py_NotImplemented) return slow_path(self, grid, args, nargs, kwnames);
  if (out) self->native_launches++;
  return out;
}

/* time_driver(calls, grid, *args, **options) -> ns per launch: the driver call alone, `calls` times back to back
   with the arguments packed once (as a launch releases the GIL around it), for `kopt bench launch`'s split of a
   call's cost; None where no kept Plan matches or the driver is stubbed. */
static PyObject *Launcher_time_driver(Launcher *self, PyObject *const *args, size_t nargsf, PyObject *kwnames) {
  Py_ssize_t nargs = PyVectorcall_NARGS(nargsf);
  unsigned dims[3];
  if (nargs < 2 || !PyLong_Check(args[0]) || !grid_dims(args[1], dims)) {
    PyErr_SetString(PyExc_TypeError, "time_driver(calls, grid, *args, **options): a grid tuple of ints");
    return NULL;
  }
  long calls = PyLong_AsLong(args[0]);
  if (calls < 1) return PyErr_Occurred() ? NULL : PyErr_Format(PyExc_ValueError, "time_driver: calls >= 1");
  uint64_t slots[MAX_ARGS + 2];
  void *params[MAX_ARGS + 2];
  unsigned long long stream;
  int found;
  Plan *p = self->plans && PyList_GET_SIZE(self->plans) ? /* (no Plan yet: the getters may not be bound) */
                match_plan(self, args + 2, nargs - 2, kwnames, slots, params, &stream, &found) : NULL;
  if (!p) { if (PyErr_Occurred()) return NULL; Py_RETURN_NONE; }
  if (test_launch || open_driver() < 0) { Py_DECREF(p); if (PyErr_Occurred()) return NULL; Py_RETURN_NONE; }
  struct timespec t0, t1;
  int err = 0;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (long i = 0; i < calls && !err; i++) {
    Py_BEGIN_ALLOW_THREADS;
    err = cu_launch((void *)(uintptr_t)p->function, dims[0], dims[1], dims[2], p->block, 1, 1, p->shared,
                    (void *)(uintptr_t)stream, params, NULL);
    Py_END_ALLOW_THREADS;
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  Py_DECREF(p);
  if (err) return PyErr_Format(PyExc_RuntimeError, "kopt time_driver: CUDA error %d", err);
  return PyFloat_FromDouble(((t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec)) / (double)calls);
}

/* Launcher[grid] -> a Bound launch: `kernel[grid](*args, **options)` as generated code writes it. */
typedef struct {
  PyObject_HEAD
  Launcher *launcher;
  PyObject *grid;
  vectorcallfunc vectorcall;
} Bound;

static PyObject *Bound_vectorcall(Bound *self, PyObject *const *args, size_t nargsf, PyObject *kwnames) {
  return launch(self->launcher, self->grid, args, nargsf, kwnames);
}

static void Bound_dealloc(Bound *self) {
  Py_XDECREF(self->launcher); Py_XDECREF(self->grid);
  Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyTypeObject BoundType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "kopt_launch.Bound",
    .tp_basicsize = sizeof(Bound),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_VECTORCALL,
    .tp_vectorcall_offset = offsetof(Bound, vectorcall),
    .tp_call = PyVectorcall_Call,
    .tp_dealloc = (destructor)Bound_dealloc,
};

static PyObject *Launcher_subscript(Launcher *self, PyObject *grid) {
  Bound *b = PyObject_New(Bound, &BoundType);
  if (!b) return NULL;
  Py_INCREF(self); b->launcher = self;
  Py_INCREF(grid); b->grid = grid;
  b->vectorcall = (vectorcallfunc)Bound_vectorcall;
  return (PyObject *)b;
}

static PyMappingMethods Launcher_mapping = {.mp_subscript = (binaryfunc)Launcher_subscript};

/* bind(get_device, get_stream): set the getters once a GPU is known, keeping the plans. */
static PyObject *Launcher_bind(Launcher *self, PyObject *const *args, Py_ssize_t nargs) {
  if (nargs != 2) {
    PyErr_SetString(PyExc_TypeError, "bind(get_device, get_stream)");
    return NULL;
  }
  Py_INCREF(args[0]); Py_XSETREF(self->get_device, args[0]);
  Py_INCREF(args[1]); Py_XSETREF(self->get_stream, args[1]);
  Py_RETURN_NONE;
}

static PyMethodDef Launcher_methods[] = {
    {"bind", (PyCFunction)(void (*)(void))Launcher_bind, METH_FASTCALL, "set the device and stream getters"},
    {"time_driver", (PyCFunction)(void (*)(void))Launcher_time_driver, METH_FASTCALL | METH_KEYWORDS,
     "ns per driver call alone, the arguments packed once (kopt bench launch)"},
    {NULL}};

static PyMemberDef Launcher_members[] = {
    {"plans", T_OBJECT, offsetof(Launcher, plans), READONLY, "the kept specializations, in the order tried"},
    {"native_launches", T_PYSSIZET, offsetof(Launcher, native_launches), READONLY, "calls launched here"},
    {NULL}};

static PyTypeObject LauncherType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "kopt_launch.Launcher",
    .tp_basicsize = sizeof(Launcher),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Launcher_init,
    .tp_dealloc = (destructor)Launcher_dealloc,
    .tp_traverse = (traverseproc)Launcher_traverse,
    .tp_clear = (inquiry)Launcher_clear,
    .tp_as_mapping = &Launcher_mapping,
    .tp_members = Launcher_members,
    .tp_methods = Launcher_methods,
};

/* ------------------------------------------------------------------------------ loading a binary */

/* The driver's enum values used below (cuda.h: CUfunction_attribute, CUdevice_attribute, CUfunc_cache) */
#define FUNC_MAX_THREADS_PER_BLOCK 0
#define FUNC_SHARED_SIZE_BYTES 1
#define FUNC_LOCAL_SIZE_BYTES 3
#define FUNC_NUM_REGS 4
#define FUNC_MAX_DYNAMIC_SHARED_SIZE_BYTES 8
#define DEVICE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN 97
#define FUNC_CACHE_PREFER_SHARED 1
#define STATIC_SHARED_LIMIT 49152

#define CU_TRY(call) do { if ((err = (call)) != 0) goto failed; } while (0)

/* load_binary(name, cubin, shared, device) -> (function, n_regs, n_spills, max_threads, shared opt-in limit): load
   a kernel's binary into the device's current context (its primary context where the thread has none), as
   Triton's loader does on a kernel's first launch, and opt the function into `shared` bytes of dynamic shared
   memory where that is over the static limit. Every first launch in C loads through here (native_launch.load).
   Why here: Triton's loader lives in its driver utility module, which a process builds with gcc on first use
   (0.3 s) and which computing Triton's cache key (0.4 s) comes with; a kernel whose binary kopt already holds
   (launch_records.py) needs neither. */
static PyObject *load_binary(PyObject *self, PyObject *args) {
  const char *name, *data;
  Py_ssize_t size;
  unsigned shared;
  int ordinal;
  if (!PyArg_ParseTuple(args, "sy#Ii", &name, &data, &size, &shared, &ordinal)) return NULL;
  if (open_driver() < 0) return NULL;
  if (!cu_ctx_get_current || !cu_ctx_set_current || !cu_device_get || !cu_primary_ctx_retain ||
      !cu_module_load_data || !cu_module_get_function || !cu_func_get_attribute || !cu_device_get_attribute ||
      !cu_func_set_attribute || !cu_func_set_cache_config) {
    PyErr_SetString(PyExc_RuntimeError, "kopt launch: libcuda.so.1 lacks a module-loading function");
    return NULL;
  }
  int err = 0, dev = 0, n_regs = 0, n_spills = 0, max_threads = 0, optin = 0, static_shared = 0;
  void *ctx = NULL, *module = NULL, *fn = NULL;
  Py_BEGIN_ALLOW_THREADS;
  CU_TRY(cu_device_get(&dev, ordinal));
  CU_TRY(cu_ctx_get_current(&ctx));
  if (!ctx) {
    CU_TRY(cu_primary_ctx_retain(&ctx, dev));
    CU_TRY(cu_ctx_set_current(ctx));
  }
  CU_TRY(cu_module_load_data(&module, data));
  CU_TRY(cu_module_get_function(&fn, module, name));
  CU_TRY(cu_func_get_attribute(&n_regs, FUNC_NUM_REGS, fn));
  CU_TRY(cu_func_get_attribute(&n_spills, FUNC_LOCAL_SIZE_BYTES, fn));
  CU_TRY(cu_func_get_attribute(&max_threads, FUNC_MAX_THREADS_PER_BLOCK, fn));
  CU_TRY(cu_device_get_attribute(&optin, DEVICE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN, dev));
  if (shared > STATIC_SHARED_LIMIT && optin > STATIC_SHARED_LIMIT) {
    CU_TRY(cu_func_set_cache_config(fn, FUNC_CACHE_PREFER_SHARED));
    CU_TRY(cu_func_get_attribute(&static_shared, FUNC_SHARED_SIZE_BYTES, fn));
    CU_TRY(cu_func_set_attribute(fn, FUNC_MAX_DYNAMIC_SHARED_SIZE_BYTES, optin - static_shared));
  }
failed:
  Py_END_ALLOW_THREADS;
  if (err) {
    const char *text = "unknown error";
    if (cu_error_string && (cu_error_string(err, &text) != 0 || !text)) text = "unknown error";
    return PyErr_Format(PyExc_RuntimeError, "kopt launch: loading `%s`: CUDA error %d (%s)", name, err, text);
  }
  return Py_BuildValue("(KiiiI)", (unsigned long long)(uintptr_t)fn, n_regs, n_spills / 4, max_threads,
                       (unsigned)optin);
}

/* ---------------------------------------------------------------------------------------- module */

static PyObject *set_test_launch(PyObject *self, PyObject *fn) {
  Py_XSETREF(test_launch, fn == Py_None ? NULL : (Py_INCREF(fn), fn));
  Py_RETURN_NONE;
}

static PyMethodDef module_methods[] = {
    {"load_binary", load_binary, METH_VARARGS, "(name, cubin, shared, device) -> (function, regs, spills, "
     "max threads, shared opt-in limit)"},
    {"set_test_launch", set_test_launch, METH_O,
     "fn(function, grid, block, shared, stream, packed) instead of the driver (None: the driver)"},
    {NULL}};

static int memo_init(PyObject *module); /* native_memo.c */

static struct PyModuleDef module_def = {PyModuleDef_HEAD_INIT, "kopt_launch", NULL, -1, module_methods};

PyMODINIT_FUNC PyInit_kopt_launch(void) {
  if (PyType_Ready(&PlanType) < 0 || PyType_Ready(&BoundType) < 0 || PyType_Ready(&LauncherType) < 0) return NULL;
  s_data_ptr = PyUnicode_InternFromString("data_ptr");
  s_dtype = PyUnicode_InternFromString("dtype");
  s_is_cuda = PyUnicode_InternFromString("is_cuda");
  s_calls = PyUnicode_InternFromString("calls");
  s_enter = PyUnicode_InternFromString("launch_enter_hook");
  s_exit = PyUnicode_InternFromString("launch_exit_hook");
  PyObject *m = PyModule_Create(&module_def);
  if (!m) return NULL;
  Py_INCREF(&PlanType); PyModule_AddObject(m, "Plan", (PyObject *)&PlanType);
  Py_INCREF(&LauncherType); PyModule_AddObject(m, "Launcher", (PyObject *)&LauncherType);
  if (memo_init(m) < 0) { Py_DECREF(m); return NULL; }
  return m;
}
