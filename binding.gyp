{
  "targets": [
    {
      "target_name": "stratum",
      "sources": [
        "native/addon.cc",
        "native/errors.cc",
        "native/shm.cc",
        "native/socket.cc",
        "native/render.cc",
        "native/render_pool.cc",
        "native/render_kernels_portable.cc",
        "native/yuv.cc"
      ],
      "dependencies": ["stratum_render_avx2", "stratum_render_avx512"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=9", "NODE_ADDON_API_DISABLE_CPP_EXCEPTIONS", "_GNU_SOURCE"],
      "cflags": ["-O3", "-Wall", "-Wextra", "-fvisibility=hidden"],
      "cflags_cc": ["-O3", "-std=c++17", "-Wall", "-Wextra", "-fvisibility=hidden", "-falign-loops=64"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++17"]
    },
    {
      "target_name": "stratum_render_avx2",
      "type": "static_library",
      "sources": ["native/render_kernels_avx2.cc"],
      "cflags_cc": ["-O3", "-std=c++17", "-Wall", "-Wextra", "-fPIC", "-fvisibility=hidden", "-falign-loops=64"],
      "cflags_cc!": ["-std=gnu++17"],
      "conditions": [["target_arch=='x64'", { "cflags_cc": ["-mavx2", "-mbmi2"] }]]
    },
    {
      "target_name": "stratum_render_avx512",
      "type": "static_library",
      "sources": ["native/render_kernels_avx512.cc"],
      "cflags_cc": ["-O3", "-std=c++17", "-Wall", "-Wextra", "-fPIC", "-fvisibility=hidden", "-falign-loops=64"],
      "cflags_cc!": ["-std=gnu++17"],
      "conditions": [["target_arch=='x64'", { "cflags_cc": ["-mavx2", "-mbmi2", "-mavx512f", "-mavx512bw", "-mavx512vl", "-mprefer-vector-width=512", "-Wno-maybe-uninitialized"] }]]
    }
  ]
}
