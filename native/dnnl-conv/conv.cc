// Convolution kernels for training on oneDNN (Debian's libdnnl-dev), as a
// plain N-API addon: ABI-stable, so one build loads in every Node >= 20.
//
// JavaScript hands over Float32Array views (in the trainer: views of the
// TensorFlow.js WebAssembly heap, so nothing is copied) in TensorFlow.js
// layouts: activations NHWC, filters [kh, kw, in, out] ("hwio"). Three ops:
//   0 forward          a = x,  b = w,  out = y
//   1 backward data    a = dy, b = w,  out = dx   (also a transposed conv's forward)
//   2 backward weights a = x,  b = dy, out = dw
// geometry (Int32Array): n h w ci oh ow co kh kw sh sw padTop padLeft padBottom padRight.
// Primitives are cached per op and geometry, per thread (worker_threads each get their own).
#include <node_api.h>
#include <omp.h>

#include <cstring>
#include <dnnl.hpp>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace {

using dnnl::memory;
using tag = memory::format_tag;
using dt = memory::data_type;

constexpr int kGeo = 15;

struct Geo {
  int n, h, w, ci, oh, ow, co, kh, kw, sh, sw, pt, pl, pb, pr;
};

// One cached primitive with its weight handling: user weights are hwio; the
// primitive may want a blocked layout, reached by a reorder each call (weights
// are small next to activations).
struct Entry {
  dnnl::primitive prim;
  memory::desc src, wUser, dst;
  memory::desc wPrim;
  bool reorderW = false;
  dnnl::reorder wReorder;
  memory wScratch;
  std::string impl;
};

struct ThreadState {
  dnnl::engine eng{dnnl::engine::kind::cpu, 0};
  dnnl::stream strm{eng};
  std::map<std::vector<int>, std::unique_ptr<Entry>> cache;
};

ThreadState& state() {
  thread_local ThreadState s;
  return s;
}

memory::dims strides(const Geo& g) { return {g.sh, g.sw}; }
memory::dims padL(const Geo& g) { return {g.pt, g.pl}; }
memory::dims padR(const Geo& g) { return {g.pb, g.pr}; }

dnnl::convolution_forward::primitive_desc forwardPd(const Geo& g, ThreadState& s,
                                                    const memory::desc& src,
                                                    const memory::desc& w,
                                                    const memory::desc& dst) {
  dnnl::convolution_forward::desc d(dnnl::prop_kind::forward_training,
                                    dnnl::algorithm::convolution_direct, src, w, dst, strides(g),
                                    padL(g), padR(g));
  return dnnl::convolution_forward::primitive_desc(d, s.eng);
}

std::unique_ptr<Entry> build(int op, const Geo& g, ThreadState& s) {
  auto e = std::make_unique<Entry>();
  e->src = memory::desc({g.n, g.ci, g.h, g.w}, dt::f32, tag::nhwc);
  e->dst = memory::desc({g.n, g.co, g.oh, g.ow}, dt::f32, tag::nhwc);
  e->wUser = memory::desc({g.co, g.ci, g.kh, g.kw}, dt::f32, tag::hwio);
  memory::desc wAny({g.co, g.ci, g.kh, g.kw}, dt::f32, tag::any);
  auto fwd = forwardPd(g, s, e->src, wAny, e->dst);
  if (op == 0) {
    e->prim = dnnl::convolution_forward(fwd);
    e->wPrim = fwd.weights_desc();
    e->impl = fwd.impl_info_str();
  } else if (op == 1) {
    dnnl::convolution_backward_data::desc d(dnnl::algorithm::convolution_direct, e->src, wAny,
                                            e->dst, strides(g), padL(g), padR(g));
    dnnl::convolution_backward_data::primitive_desc pd(d, s.eng, fwd);
    e->prim = dnnl::convolution_backward_data(pd);
    e->wPrim = pd.weights_desc();
    e->impl = pd.impl_info_str();
  } else {
    dnnl::convolution_backward_weights::desc d(dnnl::algorithm::convolution_direct, e->src, wAny,
                                               e->dst, strides(g), padL(g), padR(g));
    dnnl::convolution_backward_weights::primitive_desc pd(d, s.eng, fwd);
    e->prim = dnnl::convolution_backward_weights(pd);
    e->wPrim = pd.diff_weights_desc();
    e->impl = pd.impl_info_str();
  }
  e->reorderW = e->wPrim != e->wUser;
  if (e->reorderW) {
    e->wScratch = memory(e->wPrim, s.eng);
    memory user(e->wUser, s.eng, nullptr);
    e->wReorder = op == 2 ? dnnl::reorder(e->wScratch, user) : dnnl::reorder(user, e->wScratch);
  }
  return e;
}

Entry& entry(int op, const Geo& g, ThreadState& s) {
  std::vector<int> key(reinterpret_cast<const int*>(&g), reinterpret_cast<const int*>(&g) + kGeo);
  key.push_back(op);
  auto it = s.cache.find(key);
  if (it == s.cache.end()) it = s.cache.emplace(key, build(op, g, s)).first;
  return *it->second;
}

void run(int op, const Geo& g, float* a, float* b, float* out) {
  ThreadState& s = state();
  Entry& e = entry(op, g, s);
  if (op == 0 || op == 1) {
    memory io1(op == 0 ? e.src : e.dst, s.eng, a);
    memory wUser(e.wUser, s.eng, b);
    memory res(op == 0 ? e.dst : e.src, s.eng, out);
    memory w = wUser;
    if (e.reorderW) {
      e.wReorder.execute(s.strm, wUser, e.wScratch);
      w = e.wScratch;
    }
    if (op == 0) {
      e.prim.execute(s.strm, {{DNNL_ARG_SRC, io1}, {DNNL_ARG_WEIGHTS, w}, {DNNL_ARG_DST, res}});
    } else {
      e.prim.execute(s.strm,
                     {{DNNL_ARG_DIFF_DST, io1}, {DNNL_ARG_WEIGHTS, w}, {DNNL_ARG_DIFF_SRC, res}});
    }
  } else {
    memory x(e.src, s.eng, a);
    memory dy(e.dst, s.eng, b);
    memory dwUser(e.wUser, s.eng, out);
    memory dw = e.reorderW ? e.wScratch : dwUser;
    e.prim.execute(s.strm,
                   {{DNNL_ARG_SRC, x}, {DNNL_ARG_DIFF_DST, dy}, {DNNL_ARG_DIFF_WEIGHTS, dw}});
    if (e.reorderW) e.wReorder.execute(s.strm, e.wScratch, dwUser);
  }
  s.strm.wait();
}

// ---- N-API glue ----

napi_value fail(napi_env env, const std::string& msg) {
  napi_throw_error(env, nullptr, msg.c_str());
  return nullptr;
}

bool typed(napi_env env, napi_value v, napi_typedarray_type want, void** data, size_t* length) {
  bool is = false;
  if (napi_is_typedarray(env, v, &is) != napi_ok || !is) return false;
  napi_typedarray_type type;
  napi_value buffer;
  size_t offset;
  if (napi_get_typedarray_info(env, v, &type, length, data, &buffer, &offset) != napi_ok)
    return false;
  return type == want;
}

int64_t volume(std::initializer_list<int> dims) {
  int64_t v = 1;
  for (int d : dims) v *= d;
  return v;
}

napi_value Conv(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc != 5) return fail(env, "conv(op, a, b, out, geometry) takes 5 arguments");
  int32_t op = -1;
  if (napi_get_value_int32(env, argv[0], &op) != napi_ok || op < 0 || op > 2)
    return fail(env, "conv: op must be 0 (forward), 1 (backward data) or 2 (backward weights)");
  void* ptr[4];
  size_t len[4];
  for (int i = 0; i < 3; i++) {
    if (!typed(env, argv[i + 1], napi_float32_array, &ptr[i], &len[i]))
      return fail(env, "conv: a, b and out must be Float32Arrays");
  }
  if (!typed(env, argv[4], napi_int32_array, &ptr[3], &len[3]) || len[3] != kGeo)
    return fail(env, "conv: geometry must be an Int32Array of 15");
  Geo g;
  std::memcpy(&g, ptr[3], sizeof g);
  const int64_t x = volume({g.n, g.h, g.w, g.ci});
  const int64_t y = volume({g.n, g.oh, g.ow, g.co});
  const int64_t w = volume({g.kh, g.kw, g.ci, g.co});
  const int64_t want[3][3] = {{x, w, y}, {y, w, x}, {x, y, w}};
  for (int i = 0; i < 3; i++) {
    if (static_cast<int64_t>(len[i]) != want[op][i]) {
      return fail(env, "conv: argument " + std::to_string(i + 1) + " has " +
                           std::to_string(len[i]) + " values, the geometry needs " +
                           std::to_string(want[op][i]));
    }
  }
  try {
    run(op, g, static_cast<float*>(ptr[0]), static_cast<float*>(ptr[1]),
        static_cast<float*>(ptr[2]));
  } catch (const dnnl::error& e) {
    return fail(env, std::string("oneDNN: ") + e.what());
  } catch (const std::exception& e) {
    return fail(env, e.what());
  }
  return nullptr;
}

// setThreads(n): OpenMP threads for this thread's oneDNN calls.
napi_value SetThreads(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  int32_t n = 0;
  if (argc != 1 || napi_get_value_int32(env, argv[0], &n) != napi_ok || n < 1)
    return fail(env, "setThreads(n) needs a positive integer");
  omp_set_num_threads(n);
  return nullptr;
}

// describe(op, geometry): the implementation oneDNN picked, e.g. "brg:avx512_core".
napi_value Describe(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  int32_t op = -1;
  void* geo;
  size_t n;
  if (argc != 2 || napi_get_value_int32(env, argv[0], &op) != napi_ok || op < 0 || op > 2 ||
      !typed(env, argv[1], napi_int32_array, &geo, &n) || n != kGeo)
    return fail(env, "describe(op, geometry)");
  Geo g;
  std::memcpy(&g, geo, sizeof g);
  std::string impl;
  try {
    impl = entry(op, g, state()).impl;
  } catch (const dnnl::error& e) {
    return fail(env, std::string("oneDNN: ") + e.what());
  }
  napi_value out;
  napi_create_string_utf8(env, impl.c_str(), impl.size(), &out);
  return out;
}

// info(): { version, threads } of the oneDNN this addon runs on.
napi_value Info(napi_env env, napi_callback_info) {
  const dnnl_version_t* v = dnnl_version();
  std::string version = std::to_string(v->major) + "." + std::to_string(v->minor) + "." +
                        std::to_string(v->patch);
  napi_value out, ver, threads;
  napi_create_object(env, &out);
  napi_create_string_utf8(env, version.c_str(), version.size(), &ver);
  napi_create_int32(env, omp_get_max_threads(), &threads);
  napi_set_named_property(env, out, "version", ver);
  napi_set_named_property(env, out, "threads", threads);
  return out;
}

}  // namespace

NAPI_MODULE_INIT() {
  napi_property_descriptor props[] = {
      {"conv", nullptr, Conv, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"setThreads", nullptr, SetThreads, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"describe", nullptr, Describe, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"info", nullptr, Info, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}
