/* kopt's whole-call memo: a repeat call of a kernel replayed in C, from the arguments to cuLaunchKernel.

   Why: a kopt call is Kernel.__call__ (argument kinds, the compile lookup), the generated host code (sizes, strides,
   the grid, checks) and the launch. On the H200's host the launch alone costs ~4.3 us in C, of which the driver
   takes ~3.4, and the Python around it ~4 us more (benchmarks/results/h200_2026-12-01_records/launch*). For a
   call whose host code depends only on its arguments' dtypes, sizes, strides and devices and its scalars
   (launch_memo.py checks the generated code for that), the same arguments' metadata gives the same launches: the
   memo keeps, per seen metadata, what those launches were (and the tensors the call made, to make again) and
   replays them through the Launchers' own launch() (so the Plans' guards, hooks and fallbacks all still apply),
   with the new call's tensors in the places the old call's were.

   Appended to native_launch.c when the module is built (native_launch.py): it uses that file's Launcher and
   launch(), whose top records into this thread's recording.

     MemoCall    a class's `__call__` that is the memo: entries in the instance's `_memo` list, tried in turn; none
                 matching calls the Python `__call__` (which records a call the memo may keep).
     Entry       one seen metadata: per argument a guard, the launches with their argument templates, the result.
     record_start() / record_stop() -> [(launcher, grid, args, kwnames, kwvalues), ...]: the launches of this
                 thread in between (each launch once: what a launch's slow path launches again is not recorded). */

static PyObject *s_memo, *s_shape, *s_stride, *s_is_contiguous, *s_device, *s_recording, *s_paused;

/* This thread's recording (a list, borrowed), or NULL where it records nothing or has paused. */
static PyObject *recording_list(void) {
  PyObject *state = PyThreadState_GetDict();
  PyObject *list = state ? PyDict_GetItemWithError(state, s_recording) : NULL;
  if (!list) { PyErr_Clear(); return NULL; }
  return PyList_CheckExact(list) && !PyDict_GetItemWithError(state, s_paused) ? list : NULL;
}

/* Pause (1) or resume (0) this thread's recording, around a launch's slow path. */
static void recording_pause(int pause) {
  PyObject *state = PyThreadState_GetDict();
  if (!state) { PyErr_Clear(); return; }
  if (pause) { if (PyDict_SetItem(state, s_paused, Py_True) < 0) PyErr_Clear(); }
  else if (PyDict_DelItem(state, s_paused) < 0) PyErr_Clear();
}

static int record_launch(PyObject *list, PyObject *launcher, PyObject *grid, PyObject *const *args,
                         Py_ssize_t nargs, PyObject *kwnames) {
  Py_ssize_t nk = kwnames ? PyTuple_GET_SIZE(kwnames) : 0;
  PyObject *a = PyTuple_New(nargs), *kv = PyTuple_New(nk), *names = kwnames ? kwnames : PyTuple_New(0);
  if (!a || !kv || !names) { Py_XDECREF(a); Py_XDECREF(kv); if (!kwnames) Py_XDECREF(names); return -1; }
  for (Py_ssize_t i = 0; i < nargs; i++) { Py_INCREF(args[i]); PyTuple_SET_ITEM(a, i, args[i]); }
  for (Py_ssize_t i = 0; i < nk; i++) { Py_INCREF(args[nargs + i]); PyTuple_SET_ITEM(kv, i, args[nargs + i]); }
  PyObject *item = PyTuple_Pack(5, launcher, grid, a, names, kv);
  Py_DECREF(a); Py_DECREF(kv);
  if (!kwnames) Py_DECREF(names);
  if (!item) return -1;
  int r = PyList_Append(list, item);
  Py_DECREF(item);
  return r;
}

/* The recording of this thread, held (the allocations of record_launch can run a finalizer that stops it). */
static int record_if_recording(PyObject *launcher, PyObject *grid, PyObject *const *args, Py_ssize_t nargs,
                               PyObject *kwnames) {
  PyObject *list = recording_list();
  if (!list) return 0;
  Py_INCREF(list);
  int r = record_launch(list, launcher, grid, args, nargs, kwnames);
  Py_DECREF(list);
  return r;
}

/* record_start(): this thread's launches are recorded from now on (a recording it had is dropped). */
static PyObject *record_start(PyObject *self, PyObject *unused) {
  PyObject *state = PyThreadState_GetDict(), *list = PyList_New(0);
  if (!state || !list) {
    Py_XDECREF(list);
    return PyErr_Occurred() ? NULL : PyErr_Format(PyExc_RuntimeError, "kopt memo: no thread state");
  }
  int had = PyDict_Contains(state, s_recording);
  if (had < 0 || PyDict_SetItem(state, s_recording, list) < 0) { Py_DECREF(list); return NULL; }
  Py_DECREF(list);
  if (!had) recordings++;
  Py_RETURN_NONE;
}

/* record_stop() -> [(launcher, grid, args, kwnames, kwvalues), ...]: this thread's recorded launches; it stops. */
static PyObject *record_stop(PyObject *self, PyObject *unused) {
  PyObject *state = PyThreadState_GetDict();
  if (!state) return PyList_New(0);
  PyObject *list = PyDict_GetItemWithError(state, s_recording);
  if (!list) { if (PyErr_Occurred()) return NULL; return PyList_New(0); }
  Py_INCREF(list);
  if (PyDict_DelItem(state, s_recording) < 0) { Py_DECREF(list); return NULL; }
  recordings--;
  return list;
}

/* ------------------------------------------------------------------------------------------ Entry */

#define MAX_ALLOCS 16
#define MAX_OPTIONS 16
#define MAX_CALL_ARGS 100 /* a reference is a signed char: the call's arguments, then -1 and the allocations */

/* A reference in a launch's argument template or in the result: >= 0 the call's argument; -1 a constant (in a
   template) or None (in the result); <= -2 the call's allocation -2 - ref. */
typedef struct {
  PyObject *launcher, *grid, *constants, *kwnames, *kwvalues;
  signed char refs[MAX_ARGS];
  Py_ssize_t nargs;
} Replay;

typedef struct {
  PyObject_HEAD
  PyObject *guards;      /* tuple, per argument: (dtype, shape, stride[, device]) of a tensor, (value,) of a scalar */
  PyObject *tensor_type;
  PyObject *launches;    /* the tuple the replays were made from (it holds what they borrow) */
  PyObject *allocs;      /* tuple of (callable, args, kwargs): the tensors the call makes, in order */
  PyObject *result;      /* an int reference, or a tuple of them (a call returning a tuple) */
  Replay *replays;
  Py_ssize_t nreplays, hits;
} Entry;

static int check_ref(long ref, Py_ssize_t nargs, Py_ssize_t nallocs) {
  if (ref >= nargs || ref < -1 - nallocs) {
    PyErr_SetString(PyExc_ValueError, "Entry: a reference to an argument or allocation the call does not have");
    return -1;
  }
  return 0;
}

static int Entry_init(Entry *self, PyObject *args, PyObject *kw) {
  static char *names[] = {"guards", "launches", "result", "tensor_type", "allocs", NULL};
  PyObject *guards, *launches, *result, *tensor_type, *allocs = NULL;
  if (!PyArg_ParseTupleAndKeywords(args, kw, "O!O!OO!|O!", names, &PyTuple_Type, &guards, &PyTuple_Type, &launches,
                                   &result, &PyType_Type, &tensor_type, &PyTuple_Type, &allocs))
    return -1;
  Py_ssize_t n = PyTuple_GET_SIZE(launches), nguards = PyTuple_GET_SIZE(guards);
  Py_ssize_t nallocs = allocs ? PyTuple_GET_SIZE(allocs) : 0;
  if (n < 1 || nguards > MAX_CALL_ARGS || nallocs > MAX_ALLOCS || self->replays) {
    PyErr_SetString(PyExc_ValueError, "Entry: no launches, too many arguments or allocations, or initialized twice");
    return -1;
  }
  for (Py_ssize_t k = 0; k < nallocs; k++) {
    PyObject *a = PyTuple_GET_ITEM(allocs, k);
    if (!PyTuple_Check(a) || PyTuple_GET_SIZE(a) != 3 || !PyCallable_Check(PyTuple_GET_ITEM(a, 0)) ||
        !PyTuple_Check(PyTuple_GET_ITEM(a, 1)) || !PyDict_Check(PyTuple_GET_ITEM(a, 2))) {
      PyErr_SetString(PyExc_ValueError, "Entry: an allocation is (callable, args, kwargs)");
      return -1;
    }
  }
  int tuple_result = PyTuple_Check(result);
  Py_ssize_t nresult = tuple_result ? PyTuple_GET_SIZE(result) : 1;
  for (Py_ssize_t i = 0; i < nresult; i++) {
    long ref = PyLong_AsLong(tuple_result ? PyTuple_GET_ITEM(result, i) : result);
    if ((ref == -1 && PyErr_Occurred()) || check_ref(ref, nguards, nallocs) < 0) return -1;
  }
  Replay *r = PyMem_Calloc(n, sizeof(Replay));
  if (!r) { PyErr_NoMemory(); return -1; }
  for (Py_ssize_t j = 0; j < n; j++) {
    PyObject *l = PyTuple_GET_ITEM(launches, j), *refs;
    Replay *p = &r[j];
    if (!PyArg_ParseTuple(l, "O!O!O!O!O!O!", &LauncherType, &p->launcher, &PyTuple_Type, &p->grid, &PyTuple_Type,
                          &p->constants, &PyTuple_Type, &refs, &PyTuple_Type, &p->kwnames, &PyTuple_Type,
                          &p->kwvalues))
      goto bad;
    p->nargs = PyTuple_GET_SIZE(p->constants);
    if (p->nargs > MAX_ARGS || PyTuple_GET_SIZE(refs) != p->nargs || PyTuple_GET_SIZE(p->kwvalues) > MAX_OPTIONS ||
        PyTuple_GET_SIZE(p->kwnames) != PyTuple_GET_SIZE(p->kwvalues)) {
      PyErr_SetString(PyExc_ValueError, "Entry: a launch's constants, references or options differ in length, "
                                        "or there are too many");
      goto bad;
    }
    for (Py_ssize_t i = 0; i < p->nargs; i++) {
      long ref = PyLong_AsLong(PyTuple_GET_ITEM(refs, i));
      if ((ref == -1 && PyErr_Occurred()) || check_ref(ref, nguards, nallocs) < 0) goto bad;
      p->refs[i] = (signed char)ref;
    }
  }
  for (Py_ssize_t i = 0; i < nguards; i++) {
    PyObject *g = PyTuple_GET_ITEM(guards, i);
    if (!PyTuple_Check(g) || PyTuple_GET_SIZE(g) < 1 || PyTuple_GET_SIZE(g) == 2 || PyTuple_GET_SIZE(g) > 4) {
      PyErr_SetString(PyExc_ValueError, "Entry: a guard is (value,) or (dtype, shape, stride[, device])");
      goto bad;
    }
  }
  self->replays = r; /* the borrowed references in it are held by `launches` */
  self->nreplays = n;
  Py_INCREF(guards); Py_XSETREF(self->guards, guards);
  Py_INCREF(launches); Py_XSETREF(self->launches, launches);
  Py_INCREF(result); Py_XSETREF(self->result, result);
  Py_XINCREF(allocs); Py_XSETREF(self->allocs, allocs);
  Py_INCREF(tensor_type); Py_XSETREF(self->tensor_type, tensor_type);
  return 0;
bad:
  PyMem_Free(r);
  return -1;
}

static int Entry_traverse(Entry *self, visitproc visit, void *arg) {
  Py_VISIT(self->guards); Py_VISIT(self->launches); Py_VISIT(self->tensor_type); Py_VISIT(self->allocs);
  Py_VISIT(self->result);
  return 0;
}

static int Entry_clear(Entry *self) {
  PyMem_Free(self->replays);
  self->replays = NULL;
  self->nreplays = 0;
  Py_CLEAR(self->guards); Py_CLEAR(self->launches); Py_CLEAR(self->tensor_type); Py_CLEAR(self->allocs);
  Py_CLEAR(self->result);
  return 0;
}

static void Entry_dealloc(Entry *self) {
  PyObject_GC_UnTrack(self);
  Entry_clear(self);
  Py_TYPE(self)->tp_free((PyObject *)self);
}

/* Does the value of `obj`'s attribute (or, with `call`, method) `name` equal `want`? -1 with an exception. */
static int same_attr(PyObject *obj, PyObject *name, PyObject *want, int call) {
  PyObject *v = call ? PyObject_CallMethodNoArgs(obj, name) : PyObject_GetAttr(obj, name);
  if (!v) return -1;
  int eq = v == want ? 1 : PyObject_RichCompareBool(v, want, Py_EQ);
  Py_DECREF(v);
  return eq;
}

/* 1: the call's arguments have this entry's metadata; 0: not; -1: an exception. */
static int Entry_matches(Entry *e, PyObject *const *args, Py_ssize_t n) {
  if (!e->guards || !e->replays || n != PyTuple_GET_SIZE(e->guards)) return 0;
  for (Py_ssize_t i = 0; i < n; i++) {
    PyObject *a = args[i], *g = PyTuple_GET_ITEM(e->guards, i);
    if (PyTuple_GET_SIZE(g) == 1) { /* a scalar: the same type and value (a float's bits: -0.0 is not 0.0) */
      PyObject *want = PyTuple_GET_ITEM(g, 0);
      if (a == want) continue;
      if (Py_TYPE(a) != Py_TYPE(want)) return 0;
      if (PyFloat_CheckExact(a)) {
        double x = PyFloat_AS_DOUBLE(a), y = PyFloat_AS_DOUBLE(want);
        if (memcmp(&x, &y, sizeof x) != 0) return 0;
        continue;
      }
      int eq = PyObject_RichCompareBool(a, want, Py_EQ);
      if (eq <= 0) return eq;
      continue;
    }
    if (!PyObject_TypeCheck(a, (PyTypeObject *)e->tensor_type)) return 0;
    int eq = same_attr(a, s_dtype, PyTuple_GET_ITEM(g, 0), 0);
    if (eq > 0) eq = same_attr(a, s_shape, PyTuple_GET_ITEM(g, 1), 0);
    /* strides: None stands for "contiguous", which is_contiguous() reads without making the strides' tuple */
    PyObject *strides = PyTuple_GET_ITEM(g, 2);
    if (eq > 0) eq = strides == Py_None ? same_attr(a, s_is_contiguous, Py_True, 1) : same_attr(a, s_stride, strides, 1);
    if (eq > 0 && PyTuple_GET_SIZE(g) == 4) eq = same_attr(a, s_device, PyTuple_GET_ITEM(g, 3), 0);
    if (eq <= 0) return eq;
  }
  return 1;
}

static PyObject *resolve(long ref, PyObject *const *args, PyObject **made) {
  return ref >= 0 ? args[ref] : ref == -1 ? Py_None : made[-2 - ref];
}

/* The entry's allocations, then its launches with this call's tensors through launch() (the Plans' guards, hooks,
   fallbacks); the call's result. */
static PyObject *Entry_replay(Entry *e, PyObject *const *args) {
  PyObject *stack[MAX_ARGS + MAX_OPTIONS], *made[MAX_ALLOCS], *out = NULL;
  Py_ssize_t nallocs = e->allocs ? PyTuple_GET_SIZE(e->allocs) : 0, k = 0;
  for (; k < nallocs; k++) {
    PyObject *a = PyTuple_GET_ITEM(e->allocs, k);
    made[k] = PyObject_Call(PyTuple_GET_ITEM(a, 0), PyTuple_GET_ITEM(a, 1), PyTuple_GET_ITEM(a, 2));
    if (!made[k]) goto done;
  }
  for (Py_ssize_t j = 0; j < e->nreplays; j++) {
    Replay *p = &e->replays[j];
    Py_ssize_t nk = PyTuple_GET_SIZE(p->kwvalues);
    for (Py_ssize_t i = 0; i < p->nargs; i++)
      stack[i] = p->refs[i] == -1 ? PyTuple_GET_ITEM(p->constants, i) : resolve(p->refs[i], args, made);
    for (Py_ssize_t q = 0; q < nk; q++) stack[p->nargs + q] = PyTuple_GET_ITEM(p->kwvalues, q);
    PyObject *launched = launch((Launcher *)p->launcher, p->grid, stack, (size_t)p->nargs, nk ? p->kwnames : NULL);
    if (!launched) goto done;
    Py_DECREF(launched);
  }
  if (PyTuple_Check(e->result)) {
    Py_ssize_t n = PyTuple_GET_SIZE(e->result);
    out = PyTuple_New(n);
    for (Py_ssize_t i = 0; out && i < n; i++) {
      PyObject *v = resolve(PyLong_AsLong(PyTuple_GET_ITEM(e->result, i)), args, made);
      Py_INCREF(v);
      PyTuple_SET_ITEM(out, i, v);
    }
  } else {
    out = resolve(PyLong_AsLong(e->result), args, made);
    Py_INCREF(out);
  }
  if (out) e->hits++;
done:
  for (Py_ssize_t i = 0; i < k; i++) Py_DECREF(made[i]);
  return out;
}

/* entry(*args): the replay of a call with `args` (the autotuner times a candidate this way, as a repeat call
   runs); a TypeError where the arguments do not have the entry's metadata. */
static PyObject *Entry_call(Entry *self, PyObject *args, PyObject *kw) {
  if (kw && PyDict_GET_SIZE(kw)) {
    PyErr_SetString(PyExc_TypeError, "Entry: positional arguments only");
    return NULL;
  }
  Py_ssize_t n = PyTuple_GET_SIZE(args);
  PyObject *const *items = n ? &PyTuple_GET_ITEM(args, 0) : NULL;
  int m = Entry_matches(self, items, n);
  if (m < 0) return NULL;
  if (m == 0) {
    PyErr_SetString(PyExc_TypeError, "Entry: the arguments do not have this entry's metadata");
    return NULL;
  }
  return Entry_replay(self, items);
}

static PyMemberDef Entry_members[] = {
    {"hits", T_PYSSIZET, offsetof(Entry, hits), READONLY, "calls this entry replayed"},
    {"guards", T_OBJECT, offsetof(Entry, guards), READONLY, NULL},
    {"launches", T_OBJECT, offsetof(Entry, launches), READONLY, NULL},
    {"allocs", T_OBJECT, offsetof(Entry, allocs), READONLY, NULL},
    {NULL}};

static PyTypeObject EntryType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "kopt_launch.Entry",
    .tp_basicsize = sizeof(Entry),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Entry_init,
    .tp_call = (ternaryfunc)Entry_call,
    .tp_dealloc = (destructor)Entry_dealloc,
    .tp_traverse = (traverseproc)Entry_traverse,
    .tp_clear = (inquiry)Entry_clear,
    .tp_members = Entry_members,
};

/* ---------------------------------------------------------------------------------------- MemoCall */

/* A class's `__call__` (Kernel's, set once this module is built): `kernel(*args)` tries the entries of the
   instance's `_memo` list (a class attribute None where it has none) and replays the first whose metadata the
   arguments have; else calls `fallback(kernel, *args, **kwargs)`, the class's Python `__call__` (which records a
   call the memo may keep). A method descriptor: the interpreter passes the instance first, without making a bound
   method per call. */
typedef struct {
  PyObject_HEAD
  PyObject *fallback;
  vectorcallfunc vectorcall;
} MemoCall;

static PyObject *MemoCall_vectorcall(MemoCall *self, PyObject *const *args, size_t nargsf, PyObject *kwnames) {
  Py_ssize_t nargs = PyVectorcall_NARGS(nargsf);
  if (nargs < 1) {
    PyErr_SetString(PyExc_TypeError, "kopt memo: a kernel call without the kernel");
    return NULL;
  }
  PyObject *entries = PyObject_GetAttr(args[0], s_memo);
  if (!entries) return NULL;
  if (PyList_CheckExact(entries) && !kwnames) {
    for (Py_ssize_t j = 0; j < PyList_GET_SIZE(entries); j++) {
      PyObject *item = PyList_GET_ITEM(entries, j);
      if (!Py_IS_TYPE(item, &EntryType)) continue;
      Py_INCREF(item); /* guards may run Python (a tensor subclass): the list may change under us */
      int m = Entry_matches((Entry *)item, args + 1, nargs - 1);
      PyObject *out = m > 0 ? Entry_replay((Entry *)item, args + 1) : NULL;
      Py_DECREF(item);
      if (m != 0) { Py_DECREF(entries); return out; } /* (NULL with an exception where m < 0) */
    }
  }
  Py_DECREF(entries);
  return PyObject_Vectorcall(self->fallback, args, nargsf, kwnames);
}

static int MemoCall_init(MemoCall *self, PyObject *args, PyObject *kw) {
  static char *names[] = {"fallback", NULL};
  PyObject *fallback;
  if (!PyArg_ParseTupleAndKeywords(args, kw, "O", names, &fallback)) return -1;
  if (!PyCallable_Check(fallback)) {
    PyErr_SetString(PyExc_TypeError, "MemoCall(fallback): a callable");
    return -1;
  }
  Py_INCREF(fallback); Py_XSETREF(self->fallback, fallback);
  self->vectorcall = (vectorcallfunc)MemoCall_vectorcall;
  return 0;
}

static PyObject *MemoCall_get(PyObject *self, PyObject *obj, PyObject *type) {
  if (obj == NULL || obj == Py_None) { Py_INCREF(self); return self; }
  return PyMethod_New(self, obj);
}

static int MemoCall_traverse(MemoCall *self, visitproc visit, void *arg) {
  Py_VISIT(self->fallback);
  return 0;
}

static int MemoCall_clear(MemoCall *self) {
  Py_CLEAR(self->fallback);
  return 0;
}

static void MemoCall_dealloc(MemoCall *self) {
  PyObject_GC_UnTrack(self);
  MemoCall_clear(self);
  Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyMemberDef MemoCall_members[] = {
    {"fallback", T_OBJECT, offsetof(MemoCall, fallback), READONLY, "the class's Python call"},
    {NULL}};

static PyTypeObject MemoCallType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "kopt_launch.MemoCall",
    .tp_basicsize = sizeof(MemoCall),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_HAVE_VECTORCALL | Py_TPFLAGS_METHOD_DESCRIPTOR,
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)MemoCall_init,
    .tp_dealloc = (destructor)MemoCall_dealloc,
    .tp_traverse = (traverseproc)MemoCall_traverse,
    .tp_clear = (inquiry)MemoCall_clear,
    .tp_call = PyVectorcall_Call,
    .tp_vectorcall_offset = offsetof(MemoCall, vectorcall),
    .tp_descr_get = MemoCall_get,
    .tp_members = MemoCall_members,
};

static PyMethodDef memo_functions[] = {
    {"record_start", record_start, METH_NOARGS, "record this thread's launches from now on (dropping a recording)"},
    {"record_stop", record_stop, METH_NOARGS, "stop recording: [(launcher, grid, args, kwnames, kwvalues), ...]"},
    {NULL}};

static int memo_init(PyObject *m) {
  if (PyType_Ready(&EntryType) < 0 || PyType_Ready(&MemoCallType) < 0) return -1;
  s_memo = PyUnicode_InternFromString("_memo");
  s_shape = PyUnicode_InternFromString("shape");
  s_stride = PyUnicode_InternFromString("stride");
  s_is_contiguous = PyUnicode_InternFromString("is_contiguous");
  s_device = PyUnicode_InternFromString("device");
  s_recording = PyUnicode_InternFromString("kopt_launch.recording");
  s_paused = PyUnicode_InternFromString("kopt_launch.recording_paused");
  if (!s_memo || !s_shape || !s_stride || !s_is_contiguous || !s_device || !s_recording || !s_paused) return -1;
  if (PyModule_AddFunctions(m, memo_functions) < 0) return -1;
  Py_INCREF(&EntryType); PyModule_AddObject(m, "Entry", (PyObject *)&EntryType);
  Py_INCREF(&MemoCallType); PyModule_AddObject(m, "MemoCall", (PyObject *)&MemoCallType);
  return 0;
}
