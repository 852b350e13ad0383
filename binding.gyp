# node-gyp build of the same native sources as CMakeLists.txt, for builds
# from source at install time. LibTorch's paths and flags come from
# scripts/libtorch.mjs (same discovery order as `npm run build:native`).
{
  "targets": [
    {
      "target_name": "vbt",
      "sources": [
        "<!@(node -e \"console.log(require('fs').readdirSync('native').filter(f=>f.endsWith('.cc')).map(f=>'native/'+f).join(' '))\")"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "<!@(node scripts/libtorch.mjs include)"
      ],
      "defines": [
        "NAPI_VERSION=8",
        "NAPI_CPP_EXCEPTIONS",
        "NODE_ADDON_API_DISABLE_DEPRECATED",
        "<!@(node scripts/libtorch.mjs defines)"
      ],
      # LibTorch needs exceptions and RTTI; its headers pick the C++ standard.
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17", "-std=gnu++20"],
      "cflags_cc": ["-fexceptions", "-frtti", "-Wno-unused-parameter", "<!@(node scripts/libtorch.mjs cflags)"],
      "libraries": ["<!@(node scripts/libtorch.mjs libs)"]
    }
  ]
}
