# Finds the LibTorch the addon links, in this order (the first hit wins):
#   1. the LIBTORCH (a LibTorch prefix) or Torch_DIR (its share/cmake/Torch) environment variable
#      or -DTorch_DIR / -DLIBTORCH cache entries;
#   2. the torch package of the `python3` on PATH (a pip-installed torch carries LibTorch);
#   3. the venv of `lwganet setup` (<cache>/python: $LWGANET_CACHE, $XDG_CACHE_HOME/lwganet-node
#      or ~/.cache/lwganet-node), so `npm rebuild lwganet-node` finds what setup installed;
#   4. the system (Debian's libtorch-dev puts TorchConfig.cmake in /usr/lib/<triplet>/cmake/Torch).
# Result: an interface target `lwganet::torch`, and LWGANET_TORCH_LIBDIR, LWGANET_TORCH_SOURCE,
# LWGANET_TORCH_CONFIG_DIR,
# LWGANET_TORCH_CUDA (ON when that LibTorch has CUDA libraries; the addon never links them).

set(_lwganet_install_help
"Install one of:
  - npx lwganet setup   (a venv with the pinned torch in ~/.cache/lwganet-node)
  - a pip torch: python3 -m pip install torch   (then build with that python3 first on PATH)
  - Debian/Ubuntu: apt-get install libtorch-dev
  - a LibTorch zip from pytorch.org, unpacked, then: export LIBTORCH=/path/to/libtorch
or point Torch_DIR at a directory that contains TorchConfig.cmake.")

function(_lwganet_config_dir_from_prefix prefix out)
  foreach(candidate "${prefix}/share/cmake/Torch" "${prefix}/lib/cmake/Torch" "${prefix}")
    if(EXISTS "${candidate}/TorchConfig.cmake")
      set(${out} "${candidate}" PARENT_SCOPE)
      return()
    endif()
  endforeach()
  set(${out} "" PARENT_SCOPE)
endfunction()

set(_torch_config_dir "")
set(LWGANET_TORCH_SOURCE "")
if(DEFINED ENV{LIBTORCH} AND NOT "$ENV{LIBTORCH}" STREQUAL "")
  _lwganet_config_dir_from_prefix("$ENV{LIBTORCH}" _torch_config_dir)
  if(NOT _torch_config_dir)
    message(FATAL_ERROR "LIBTORCH=$ENV{LIBTORCH} does not contain share/cmake/Torch/TorchConfig.cmake.\n${_lwganet_install_help}")
  endif()
  set(LWGANET_TORCH_SOURCE "LIBTORCH environment variable")
elseif(DEFINED ENV{Torch_DIR} AND NOT "$ENV{Torch_DIR}" STREQUAL "")
  if(NOT EXISTS "$ENV{Torch_DIR}/TorchConfig.cmake")
    message(FATAL_ERROR "Torch_DIR=$ENV{Torch_DIR} does not contain TorchConfig.cmake.\n${_lwganet_install_help}")
  endif()
  set(_torch_config_dir "$ENV{Torch_DIR}")
  set(LWGANET_TORCH_SOURCE "Torch_DIR environment variable")
elseif(Torch_DIR AND EXISTS "${Torch_DIR}/TorchConfig.cmake")
  set(_torch_config_dir "${Torch_DIR}")
  set(LWGANET_TORCH_SOURCE "Torch_DIR cache entry")
endif()

if(NOT _torch_config_dir)
  find_program(_lwganet_python3 python3)
  if(_lwganet_python3)
    execute_process(
      COMMAND "${_lwganet_python3}" -c "import torch, torch.utils; print(torch.utils.cmake_prefix_path)"
      OUTPUT_VARIABLE _py_prefix OUTPUT_STRIP_TRAILING_WHITESPACE
      RESULT_VARIABLE _py_result ERROR_QUIET)
    if(_py_result EQUAL 0 AND EXISTS "${_py_prefix}/Torch/TorchConfig.cmake")
      set(_torch_config_dir "${_py_prefix}/Torch")
      set(LWGANET_TORCH_SOURCE "torch of ${_lwganet_python3}")
    endif()
  endif()
  unset(_lwganet_python3 CACHE)
endif()

if(NOT _torch_config_dir)
  if(DEFINED ENV{LWGANET_CACHE} AND NOT "$ENV{LWGANET_CACHE}" STREQUAL "")
    set(_lwganet_cache "$ENV{LWGANET_CACHE}")
  elseif(DEFINED ENV{XDG_CACHE_HOME} AND NOT "$ENV{XDG_CACHE_HOME}" STREQUAL "")
    set(_lwganet_cache "$ENV{XDG_CACHE_HOME}/lwganet-node")
  else()
    set(_lwganet_cache "$ENV{HOME}/.cache/lwganet-node")
  endif()
  file(GLOB _lwganet_managed "${_lwganet_cache}/python/lib/python3*/site-packages/torch/share/cmake/Torch/TorchConfig.cmake")
  if(_lwganet_managed)
    list(GET _lwganet_managed 0 _lwganet_managed)
    get_filename_component(_torch_config_dir "${_lwganet_managed}" DIRECTORY)
    set(LWGANET_TORCH_SOURCE "the venv of lwganet setup (${_lwganet_cache}/python)")
  endif()
endif()

if(NOT _torch_config_dir)
  foreach(candidate
      "/usr/lib/${CMAKE_LIBRARY_ARCHITECTURE}/cmake/Torch" "/usr/lib/cmake/Torch"
      "/usr/local/lib/cmake/Torch" "/usr/local/share/cmake/Torch" "/opt/libtorch/share/cmake/Torch")
    if(EXISTS "${candidate}/TorchConfig.cmake")
      set(_torch_config_dir "${candidate}")
      set(LWGANET_TORCH_SOURCE "system (${candidate})")
      break()
    endif()
  endforeach()
endif()

if(NOT _torch_config_dir)
  message(FATAL_ERROR "lwganet-node: no LibTorch found. Looked at: the LIBTORCH and Torch_DIR environment "
    "variables (unset), the torch package of python3 on PATH (none importable), the venv of "
    "lwganet setup (${_lwganet_cache}/python: none), and the system "
    "locations (/usr/lib/<triplet>/cmake/Torch, /usr/local, /opt/libtorch).\n${_lwganet_install_help}")
endif()

set(LWGANET_TORCH_CONFIG_DIR "${_torch_config_dir}")
# The LibTorch prefix: <prefix>/share/cmake/Torch, or Debian's /usr/lib/<triplet>/cmake/Torch.
get_filename_component(_torch_prefix "${_torch_config_dir}/../../.." ABSOLUTE)
set(LWGANET_TORCH_LIBDIR "${_torch_prefix}/lib")
if(NOT EXISTS "${LWGANET_TORCH_LIBDIR}/libtorch.so" AND EXISTS "${_torch_prefix}/lib/${CMAKE_LIBRARY_ARCHITECTURE}/libtorch.so")
  set(LWGANET_TORCH_LIBDIR "${_torch_prefix}/lib/${CMAKE_LIBRARY_ARCHITECTURE}")
endif()
get_filename_component(_torch_config_parent "${_torch_config_dir}/../.." ABSOLUTE)
if(EXISTS "${_torch_config_parent}/libtorch.so")
  set(LWGANET_TORCH_LIBDIR "${_torch_config_parent}")  # Debian: /usr/lib/<triplet>
endif()

set(LWGANET_TORCH_CUDA OFF)
if(EXISTS "${LWGANET_TORCH_LIBDIR}/libtorch_cuda.so")
  set(LWGANET_TORCH_CUDA ON)
endif()
find_program(_lwganet_nvcc nvcc HINTS "$ENV{CUDA_HOME}/bin" "$ENV{CUDA_PATH}/bin" /usr/local/cuda/bin)

add_library(lwganet_torch INTERFACE)
add_library(lwganet::torch ALIAS lwganet_torch)

if(LWGANET_TORCH_CUDA AND NOT _lwganet_nvcc)
  # A CUDA LibTorch (every pip torch on Linux) whose TorchConfig.cmake insists on a full CUDA
  # toolkit (nvcc) to configure: take its compiler flags and headers without it.
  message(STATUS "lwganet-node: CUDA LibTorch without a CUDA toolkit: using its headers and CPU libraries directly")
  set(_torch_flags "")
  file(STRINGS "${_torch_config_dir}/TorchConfig.cmake" _flag_lines REGEX "set\\(TORCH_CXX_FLAGS")
  foreach(line IN LISTS _flag_lines)
    if(line MATCHES "set\\(TORCH_CXX_FLAGS \"([^\"]*)\"\\)")
      set(_torch_flags "${CMAKE_MATCH_1}")
    endif()
  endforeach()
  set(TORCH_CXX_FLAGS "${_torch_flags}")
  set(TORCH_INCLUDE_DIRS "${_torch_prefix}/include" "${_torch_prefix}/include/torch/csrc/api/include")
else()
  find_package(Torch REQUIRED CONFIG PATHS "${_torch_config_dir}" NO_DEFAULT_PATH)
endif()

# Only LibTorch's CPU libraries are linked, whatever the LibTorch: the addon uses nothing but
# device-generic APIs (c10::Device, torch::cuda::device_count in libtorch_cpu, which asks the
# CUDA hooks), so one binary loads with a CPU-only torch too. CUDA comes at run time: when the
# LibTorch found at load has libtorch_cuda.so, lib/native/binding.ts opens it before the addon and it
# registers its CUDA kernels and hooks. libtorch.so is not linked either: in a CUDA LibTorch it
# is only a shim that pulls in libtorch_cuda.so.
set(_lwganet_torch_libs "")
foreach(name torch_cpu c10)
  find_library(_lwganet_lib_${name} ${name} PATHS "${LWGANET_TORCH_LIBDIR}" NO_DEFAULT_PATH REQUIRED)
  list(APPEND _lwganet_torch_libs "${_lwganet_lib_${name}}")
endforeach()
target_include_directories(lwganet_torch SYSTEM INTERFACE ${TORCH_INCLUDE_DIRS})
target_link_libraries(lwganet_torch INTERFACE ${_lwganet_torch_libs})

if(TORCH_CXX_FLAGS)
  separate_arguments(_torch_flag_list UNIX_COMMAND "${TORCH_CXX_FLAGS}")
  target_compile_options(lwganet_torch INTERFACE ${_torch_flag_list})
endif()

set(LWGANET_TORCH_NEEDS_CXX20 OFF)
foreach(include_dir "${_torch_prefix}/include" "/usr/include")
  if(EXISTS "${include_dir}/ATen/ATen.h")
    file(READ "${include_dir}/ATen/ATen.h" _aten_header)
    if(_aten_header MATCHES "C\\+\\+20 or later")
      set(LWGANET_TORCH_NEEDS_CXX20 ON)
    endif()
    break()
  endif()
endforeach()

message(STATUS "lwganet-node: LibTorch from ${LWGANET_TORCH_SOURCE}: ${_torch_config_dir} (CUDA: ${LWGANET_TORCH_CUDA}, flags: '${TORCH_CXX_FLAGS}')")
