/*
 * zerostack_tap: the smallest possible TAP driver for Node, in C on N-API
 * (node_api.h only; no node-addon-api).
 *
 * Owns: opening a TAP device (TUNSETIFF, IFF_TAP|IFF_NO_PI, non-blocking fd),
 * device ioctls (MTU, up), readiness via uv_poll on the fd, batched reads into
 * memory JS owns, and writev of a frame given as up to MAX_IOV pieces.
 * Must not: allocate per frame, keep pointers into JS memory across calls, or
 * know anything about packets. Buffer ownership stays in JS (src/link/tap.ts).
 *
 * JS API (see src/link/native-loader.ts for the TypeScript view):
 *   open(name[, vnetHdr]) -> { fd, name }      throws Error{code,errno,syscall,path}
 *       vnetHdr: IFF_VNET_HDR — every frame read or written is preceded by a
 *       10-byte struct virtio_net_hdr (checksum and GSO metadata).
 *   setOffload(fd, flags)                      TUNSETOFFLOAD (TUN_F_CSUM 1, TUN_F_TSO4 2):
 *       what the kernel may hand us (partial checksums, TCP segments > MTU)
 *   setMtu(name, mtu) / setUp(name)            SIOCSIFMTU / SIOCSIFFLAGS
 *   getMac(name) -> Uint8Array(6)              SIOCGIFHWADDR
 *   readBatch(fd, mem, offsets, caps, lens, n) -> frames read (>= 0) or -errno
 *       mem: ArrayBuffer or TypedArray; frame i is read into mem[offsets[i] ..
 *       offsets[i]+caps[i]) and its length stored in lens[i]; stops at EAGAIN.
 *   writev(fd, n, a0, o0, l0, a1, o1, l1, ...) -> bytes written or -errno
 *       a_k: TypedArray or ArrayBuffer; piece k is a_k[o_k .. o_k+l_k).
 *   writevPool(fd, mem, offsets, lens, n) -> bytes written or -errno
 *       piece i is mem[offsets[i] .. +lens[i]) (Int32Arrays; no argument list per call).
 *   poll(fd, callback) -> handle   callback() runs on the loop when fd is readable
 *   pollStop(handle)               stops and frees the uv_poll (idempotent)
 *   close(fd)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <net/if_arp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>
#include <node_api.h>
#include <uv.h>

/* A coalesced TCP super-segment: vnet header + first frame's headers + up to ~45 payload pieces. */
#define MAX_IOV 64
#define MAX_ARGS (2 + 3 * MAX_IOV)

#define CHECK(call)                                                                                                    \
  do {                                                                                                                 \
    if ((call) != napi_ok) return NULL;                                                                                \
  } while (0)

static napi_value throw_errno(napi_env env, int err, const char *syscall, const char *path) {
  char msg[256];
  const char *code = NULL;
  switch (err) {
    case EPERM: code = "EPERM"; break;
    case EACCES: code = "EACCES"; break;
    case ENOENT: code = "ENOENT"; break;
    case ENODEV: code = "ENODEV"; break;
    case EBUSY: code = "EBUSY"; break;
    case EINVAL: code = "EINVAL"; break;
    case EBADF: code = "EBADF"; break;
    case ENXIO: code = "ENXIO"; break;
    default: code = "EIO"; break;
  }
  snprintf(msg, sizeof msg, "%s %s: %s (%s)", syscall, path, code, strerror(err));
  napi_value m, e, v;
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &m);
  napi_create_error(env, NULL, m, &e);
  napi_create_string_utf8(env, code, NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, e, "code", v);
  napi_create_int32(env, -err, &v);
  napi_set_named_property(env, e, "errno", v);
  napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, e, "syscall", v);
  napi_create_string_utf8(env, path, NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, e, "path", v);
  napi_throw(env, e);
  return NULL;
}

static int get_args(napi_env env, napi_callback_info info, size_t want, napi_value *argv) {
  size_t argc = want;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return -1;
  if (argc < want) {
    napi_throw_type_error(env, NULL, "zerostack_tap: missing arguments");
    return -1;
  }
  return 0;
}

static int get_name(napi_env env, napi_value v, char *out) {
  char tmp[64];
  size_t len = 0;
  if (napi_get_value_string_utf8(env, v, tmp, sizeof tmp, &len) != napi_ok) {
    napi_throw_type_error(env, NULL, "zerostack_tap: interface name must be a string");
    return -1;
  }
  if (len == 0 || len >= IFNAMSIZ) {
    napi_throw_range_error(env, NULL, "zerostack_tap: interface name must have 1..15 characters");
    return -1;
  }
  memcpy(out, tmp, len + 1);
  return 0;
}

/* Pointer and byte length of an ArrayBuffer or TypedArray (typed arrays: from their byteOffset). */
static int get_bytes(napi_env env, napi_value v, uint8_t **data, size_t *len) {
  bool is;
  if (napi_is_arraybuffer(env, v, &is) == napi_ok && is) {
    void *p;
    if (napi_get_arraybuffer_info(env, v, &p, len) != napi_ok) return -1;
    *data = p;
    return 0;
  }
  if (napi_is_typedarray(env, v, &is) == napi_ok && is) {
    napi_typedarray_type t;
    size_t n, off;
    void *p;
    napi_value ab;
    if (napi_get_typedarray_info(env, v, &t, &n, &p, &ab, &off) != napi_ok) return -1;
    size_t el = (t == napi_int32_array || t == napi_uint32_array || t == napi_float32_array) ? 4
                : (t == napi_int16_array || t == napi_uint16_array) ? 2
                : (t == napi_float64_array || t == napi_bigint64_array || t == napi_biguint64_array) ? 8
                : 1;
    *data = p;
    *len = n * el;
    return 0;
  }
  napi_throw_type_error(env, NULL, "zerostack_tap: expected an ArrayBuffer or TypedArray");
  return -1;
}

static int get_i32array(napi_env env, napi_value v, int32_t **data, size_t *n) {
  napi_typedarray_type t;
  void *p;
  napi_value ab;
  size_t off;
  bool is;
  if (napi_is_typedarray(env, v, &is) != napi_ok || !is ||
      napi_get_typedarray_info(env, v, &t, n, &p, &ab, &off) != napi_ok || t != napi_int32_array) {
    napi_throw_type_error(env, NULL, "zerostack_tap: expected an Int32Array");
    return -1;
  }
  *data = p;
  return 0;
}

static napi_value js_open(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  size_t argc = 2;
  char name[IFNAMSIZ];
  bool vnet = false;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1) {
    napi_throw_type_error(env, NULL, "zerostack_tap: open(name[, vnetHdr])");
    return NULL;
  }
  if (get_name(env, argv[0], name)) return NULL;
  if (argc > 1) {
    napi_valuetype t;
    CHECK(napi_typeof(env, argv[1], &t));
    if (t == napi_boolean) CHECK(napi_get_value_bool(env, argv[1], &vnet));
  }
  int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return throw_errno(env, errno, "open", "/dev/net/tun");
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  ifr.ifr_flags = IFF_TAP | IFF_NO_PI | (vnet ? IFF_VNET_HDR : 0);
  memcpy(ifr.ifr_name, name, strlen(name));
  if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
    int err = errno;
    close(fd);
    return throw_errno(env, err, "ioctl(TUNSETIFF)", "/dev/net/tun");
  }
  if (vnet) {
    int sz = 10; /* struct virtio_net_hdr, without num_buffers */
    if (ioctl(fd, TUNSETVNETHDRSZ, &sz) < 0) {
      int err = errno;
      close(fd);
      return throw_errno(env, err, "ioctl(TUNSETVNETHDRSZ)", name);
    }
  }
  napi_value res, v;
  CHECK(napi_create_object(env, &res));
  CHECK(napi_create_int32(env, fd, &v));
  CHECK(napi_set_named_property(env, res, "fd", v));
  CHECK(napi_create_string_utf8(env, ifr.ifr_name, NAPI_AUTO_LENGTH, &v));
  CHECK(napi_set_named_property(env, res, "name", v));
  return res;
}

static int ctl_socket(napi_env env) {
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) throw_errno(env, errno, "socket", "AF_INET");
  return s;
}

static napi_value js_set_mtu(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  char name[IFNAMSIZ];
  int32_t mtu;
  if (get_args(env, info, 2, argv) || get_name(env, argv[0], name)) return NULL;
  CHECK(napi_get_value_int32(env, argv[1], &mtu));
  int s = ctl_socket(env);
  if (s < 0) return NULL;
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  memcpy(ifr.ifr_name, name, strlen(name));
  ifr.ifr_mtu = mtu;
  int rc = ioctl(s, SIOCSIFMTU, &ifr);
  int err = errno;
  close(s);
  if (rc < 0) return throw_errno(env, err, "ioctl(SIOCSIFMTU)", name);
  return NULL;
}

static napi_value js_set_up(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  char name[IFNAMSIZ];
  if (get_args(env, info, 1, argv) || get_name(env, argv[0], name)) return NULL;
  int s = ctl_socket(env);
  if (s < 0) return NULL;
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  memcpy(ifr.ifr_name, name, strlen(name));
  int rc = ioctl(s, SIOCGIFFLAGS, &ifr);
  if (rc == 0) {
    ifr.ifr_flags |= IFF_UP;
    rc = ioctl(s, SIOCSIFFLAGS, &ifr);
  }
  int err = errno;
  close(s);
  if (rc < 0) return throw_errno(env, err, "ioctl(SIOCSIFFLAGS)", name);
  return NULL;
}

static napi_value js_get_mac(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  char name[IFNAMSIZ];
  if (get_args(env, info, 1, argv) || get_name(env, argv[0], name)) return NULL;
  int s = ctl_socket(env);
  if (s < 0) return NULL;
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  memcpy(ifr.ifr_name, name, strlen(name));
  int rc = ioctl(s, SIOCGIFHWADDR, &ifr);
  int err = errno;
  close(s);
  if (rc < 0) return throw_errno(env, err, "ioctl(SIOCGIFHWADDR)", name);
  napi_value ab, arr;
  void *p;
  CHECK(napi_create_arraybuffer(env, 6, &p, &ab));
  memcpy(p, ifr.ifr_hwaddr.sa_data, 6);
  CHECK(napi_create_typedarray(env, napi_uint8_array, 6, ab, 0, &arr));
  return arr;
}

/* readBatch(fd, mem, offsets, caps, lens, n): one call reads up to n frames, until EAGAIN. */
static napi_value js_read_batch(napi_env env, napi_callback_info info) {
  napi_value argv[6];
  int32_t fd, n;
  uint8_t *mem;
  size_t memLen, nOff, nCap, nLen;
  int32_t *offs, *caps, *lens;
  if (get_args(env, info, 6, argv)) return NULL;
  CHECK(napi_get_value_int32(env, argv[0], &fd));
  if (get_bytes(env, argv[1], &mem, &memLen) || get_i32array(env, argv[2], &offs, &nOff) ||
      get_i32array(env, argv[3], &caps, &nCap) || get_i32array(env, argv[4], &lens, &nLen))
    return NULL;
  CHECK(napi_get_value_int32(env, argv[5], &n));
  if (n < 0 || (size_t)n > nOff || (size_t)n > nCap || (size_t)n > nLen) {
    napi_throw_range_error(env, NULL, "zerostack_tap: readBatch count exceeds the descriptor arrays");
    return NULL;
  }
  int32_t got = 0;
  int err = 0;
  while (got < n) {
    int32_t off = offs[got], cap = caps[got];
    if (off < 0 || cap <= 0 || (size_t)off + (size_t)cap > memLen) {
      napi_throw_range_error(env, NULL, "zerostack_tap: readBatch slot outside the memory");
      return NULL;
    }
    ssize_t r = read(fd, mem + off, (size_t)cap);
    if (r < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) err = errno;
      break;
    }
    lens[got++] = (int32_t)r;
  }
  napi_value res;
  CHECK(napi_create_int32(env, got > 0 || err == 0 ? got : -err, &res));
  return res;
}

/* writev(fd, n, a0, o0, l0, ...): one frame from n pieces, never joined in JS. */
static napi_value js_writev(napi_env env, napi_callback_info info) {
  napi_value argv[MAX_ARGS];
  size_t argc = MAX_ARGS;
  int32_t fd, n;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2) {
    napi_throw_type_error(env, NULL, "zerostack_tap: writev(fd, n, ...pieces)");
    return NULL;
  }
  CHECK(napi_get_value_int32(env, argv[0], &fd));
  CHECK(napi_get_value_int32(env, argv[1], &n));
  if (n < 1 || n > MAX_IOV || argc < (size_t)(2 + 3 * n)) {
    napi_throw_range_error(env, NULL, "zerostack_tap: writev takes 1..64 pieces of (array, offset, length)");
    return NULL;
  }
  struct iovec iov[MAX_IOV];
  for (int32_t i = 0; i < n; i++) {
    uint8_t *p;
    size_t len;
    int32_t o, l;
    if (get_bytes(env, argv[2 + 3 * i], &p, &len)) return NULL;
    CHECK(napi_get_value_int32(env, argv[3 + 3 * i], &o));
    CHECK(napi_get_value_int32(env, argv[4 + 3 * i], &l));
    if (o < 0 || l < 0 || (size_t)o + (size_t)l > len) {
      napi_throw_range_error(env, NULL, "zerostack_tap: writev piece outside its array");
      return NULL;
    }
    iov[i].iov_base = p + o;
    iov[i].iov_len = (size_t)l;
  }
  ssize_t r;
  do r = writev(fd, iov, n);
  while (r < 0 && errno == EINTR);
  napi_value res;
  CHECK(napi_create_int32(env, r < 0 ? -errno : (int32_t)r, &res));
  return res;
}

/*
 * writevPool(fd, mem, offsets, lens, n): one frame from n (1..MAX_IOV) pieces
 * mem[offsets[i] .. +lens[i]) of one memory (the packet pool): no per-call
 * argument arrays, for the coalesced super-segments of the offload path.
 */
static napi_value js_writev_pool(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  int32_t fd, n;
  uint8_t *mem;
  size_t memLen, nOff, nLen;
  int32_t *offs, *lens;
  if (get_args(env, info, 5, argv)) return NULL;
  CHECK(napi_get_value_int32(env, argv[0], &fd));
  if (get_bytes(env, argv[1], &mem, &memLen) || get_i32array(env, argv[2], &offs, &nOff) || get_i32array(env, argv[3], &lens, &nLen))
    return NULL;
  CHECK(napi_get_value_int32(env, argv[4], &n));
  if (n < 1 || n > MAX_IOV || (size_t)n > nOff || (size_t)n > nLen) {
    napi_throw_range_error(env, NULL, "zerostack_tap: writevPool takes 1..64 pieces within the descriptor arrays");
    return NULL;
  }
  struct iovec iov[MAX_IOV];
  for (int32_t i = 0; i < n; i++) {
    if (offs[i] < 0 || lens[i] < 0 || (size_t)offs[i] + (size_t)lens[i] > memLen) {
      napi_throw_range_error(env, NULL, "zerostack_tap: writevPool piece outside the memory");
      return NULL;
    }
    iov[i].iov_base = mem + offs[i];
    iov[i].iov_len = (size_t)lens[i];
  }
  ssize_t r;
  do r = writev(fd, iov, n);
  while (r < 0 && errno == EINTR);
  napi_value res;
  CHECK(napi_create_int32(env, r < 0 ? -errno : (int32_t)r, &res));
  return res;
}

/* setOffload(fd, flags): TUNSETOFFLOAD — which offloads the kernel may use on frames it hands us. */
static napi_value js_set_offload(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  int32_t fd, flags;
  if (get_args(env, info, 2, argv)) return NULL;
  CHECK(napi_get_value_int32(env, argv[0], &fd));
  CHECK(napi_get_value_int32(env, argv[1], &flags));
  if (ioctl(fd, TUNSETOFFLOAD, (unsigned long)(uint32_t)flags) < 0) return throw_errno(env, errno, "ioctl(TUNSETOFFLOAD)", "/dev/net/tun");
  return NULL;
}

static napi_value js_close(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int32_t fd;
  if (get_args(env, info, 1, argv)) return NULL;
  CHECK(napi_get_value_int32(env, argv[0], &fd));
  if (close(fd) < 0) return throw_errno(env, errno, "close", "/dev/net/tun");
  return NULL;
}

/* --- readiness: uv_poll on the fd, calling a JS function when readable --- */

typedef struct poller {
  uv_poll_t handle;
  napi_env env;
  napi_ref callback;
  napi_async_context actx;
  int active;
} poller;

static void poller_closed(uv_handle_t *h) {
  free(h->data);
}

static void poller_stop(poller *p) {
  if (!p->active) return;
  p->active = 0;
  uv_poll_stop(&p->handle);
  if (p->callback) napi_delete_reference(p->env, p->callback);
  if (p->actx) napi_async_destroy(p->env, p->actx);
  p->callback = NULL;
  p->actx = NULL;
  uv_close((uv_handle_t *)&p->handle, poller_closed);
}

static void poller_cleanup_hook(void *arg) {
  poller_stop(arg);
}

static void on_poll(uv_poll_t *h, int status, int events) {
  poller *p = h->data;
  (void)events;
  if (!p->active) return;
  napi_env env = p->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value cb, recv, result, st;
  if (napi_get_reference_value(env, p->callback, &cb) == napi_ok && cb != NULL) {
    napi_get_global(env, &recv); /* napi_make_callback converts recv to an object: undefined would throw */
    napi_create_int32(env, status, &st);
    if (napi_make_callback(env, p->actx, recv, cb, 1, &st, &result) == napi_pending_exception) {
      napi_value ex;
      napi_get_and_clear_last_exception(env, &ex);
      napi_fatal_exception(env, ex);
    }
  }
  napi_close_handle_scope(env, scope);
}

static napi_value js_poll(napi_env env, napi_callback_info info) {
  napi_value argv[2], name, ext;
  int32_t fd;
  if (get_args(env, info, 2, argv)) return NULL;
  CHECK(napi_get_value_int32(env, argv[0], &fd));
  uv_loop_t *loop;
  CHECK(napi_get_uv_event_loop(env, &loop));
  poller *p = calloc(1, sizeof *p);
  if (!p) {
    napi_throw_error(env, "ENOMEM", "zerostack_tap: out of memory");
    return NULL;
  }
  p->env = env;
  p->handle.data = p;
  int rc = uv_poll_init(loop, &p->handle, fd);
  if (rc < 0) {
    free(p);
    return throw_errno(env, -rc, "uv_poll_init", "/dev/net/tun");
  }
  p->active = 1;
  napi_create_reference(env, argv[1], 1, &p->callback);
  napi_create_string_utf8(env, "zerostack:tap", NAPI_AUTO_LENGTH, &name);
  napi_async_init(env, NULL, name, &p->actx);
  rc = uv_poll_start(&p->handle, UV_READABLE, on_poll);
  if (rc < 0) {
    poller_stop(p);
    return throw_errno(env, -rc, "uv_poll_start", "/dev/net/tun");
  }
  napi_add_env_cleanup_hook(env, poller_cleanup_hook, p);
  /* The external does not own p: pollStop (or env teardown) stops it and uv_close frees it. */
  CHECK(napi_create_external(env, p, NULL, NULL, &ext));
  return ext;
}

static napi_value js_poll_stop(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  void *data;
  if (get_args(env, info, 1, argv)) return NULL;
  CHECK(napi_get_value_external(env, argv[0], &data));
  poller *p = data;
  /* p is freed by uv_close: JS must call pollStop once per handle (tap.ts forgets the handle). */
  if (p && p->active) {
    napi_remove_env_cleanup_hook(env, poller_cleanup_hook, p);
    poller_stop(p);
  }
  return NULL;
}

NAPI_MODULE_INIT(/* napi_env env, napi_value exports */) {
  napi_property_descriptor props[] = {
      {"open", NULL, js_open, NULL, NULL, NULL, napi_enumerable, NULL},
      {"setMtu", NULL, js_set_mtu, NULL, NULL, NULL, napi_enumerable, NULL},
      {"setOffload", NULL, js_set_offload, NULL, NULL, NULL, napi_enumerable, NULL},
      {"setUp", NULL, js_set_up, NULL, NULL, NULL, napi_enumerable, NULL},
      {"getMac", NULL, js_get_mac, NULL, NULL, NULL, napi_enumerable, NULL},
      {"readBatch", NULL, js_read_batch, NULL, NULL, NULL, napi_enumerable, NULL},
      {"writev", NULL, js_writev, NULL, NULL, NULL, napi_enumerable, NULL},
      {"writevPool", NULL, js_writev_pool, NULL, NULL, NULL, napi_enumerable, NULL},
      {"poll", NULL, js_poll, NULL, NULL, NULL, napi_enumerable, NULL},
      {"pollStop", NULL, js_poll_stop, NULL, NULL, NULL, napi_enumerable, NULL},
      {"close", NULL, js_close, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) return NULL;
  return exports;
}
