# node-gyp build of the same native sources as CMakeLists.txt, for builds
# from source at install time. LibTorch's paths and flags come from
# scripts/libtorch.mjs (same discovery order as `npm run build:native`).
# Distributed training's Gloo backend is compiled in when LibTorch's c10d
# Gloo header and Gloo's own headers (Debian: libgloo-dev) are both found, as
# in CMakeLists.txt; the NCCL backend is built by the cmake-js build only.
{
  "targets": [
    {
      "target_name": "vbt",
      "sources": [
        "<!@(node -e \"console.log(require('fs').readdirSync('native').filter(f=>f.endsWith('.cc')).map(f=>'native/'+f).join(' '))\")"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "<!@(node scripts/libtorch.mjs include)",
        "<!@(node -e \"const fs=require('fs'),cp=require('child_process');const inc=cp.execFileSync(process.execPath,['scripts/libtorch.mjs','include'],{encoding:'utf8'}).trim().split(' ');const pg=inc.some(d=>fs.existsSync(d+'/torch/csrc/distributed/c10d/ProcessGroupGloo.hpp'));const gloo=inc.concat(['/usr/include','/usr/local/include']).find(d=>fs.existsSync(d+'/gloo/context.h'));console.log(!pg||!gloo?'':process.argv[1]==='include'?gloo:'USE_C10D_GLOO VBT_WITH_GLOO=1')\" include)"
      ],
      "defines": [
        "NAPI_VERSION=8",
        "NAPI_CPP_EXCEPTIONS",
        "NODE_ADDON_API_DISABLE_DEPRECATED",
        "<!@(node scripts/libtorch.mjs defines)",
        "<!@(node -e \"const fs=require('fs'),cp=require('child_process');const inc=cp.execFileSync(process.execPath,['scripts/libtorch.mjs','include'],{encoding:'utf8'}).trim().split(' ');const pg=inc.some(d=>fs.existsSync(d+'/torch/csrc/distributed/c10d/ProcessGroupGloo.hpp'));const gloo=inc.concat(['/usr/include','/usr/local/include']).find(d=>fs.existsSync(d+'/gloo/context.h'));console.log(!pg||!gloo?'':process.argv[1]==='include'?gloo:'USE_C10D_GLOO VBT_WITH_GLOO=1')\" defines)"
      ],
      # LibTorch needs exceptions and RTTI; its headers pick the C++ standard.
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17", "-std=gnu++20"],
      "cflags_cc": ["-fexceptions", "-frtti", "-Wno-unused-parameter", "<!@(node scripts/libtorch.mjs cflags)"],
      "libraries": ["<!@(node scripts/libtorch.mjs libs)"]
    }
  ]
}
