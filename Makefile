# The two quick-start commands: `make demo` and `make test`. Everything else is CMake.
JOBS ?= $(shell nproc)
BUILD ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
CMAKE_FLAGS ?=

.PHONY: demo test setup build build-asan build-fuzz unit asan fuzz conformance models bench clean \
        test-no-avx512

setup:
	./scripts/setup.sh

build: setup
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS) >/dev/null
	cmake --build $(BUILD) -j $(JOBS)

demo: build
	./demo/demo.sh $(BUILD)/sinter

# Release build: unit tests, conformance, CLI end-to-end and whole-model checks; then the unit
# and conformance tests again under ASan+UBSan, then bounded fuzzing runs of the model loader and
# of the whole pipeline (parse, verify, plan, run; on the best ISA tier, then on the portable
# kernels), each replaying its past findings first.
test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)
	$(MAKE) asan fuzz

# -O1 and line tables only: GCC compiled the sanitized tree 2-5x faster than at -O2 -g (the AVX-512
# integer GEMM 36 s against 186), and the reports keep their file and line.
build-asan: setup
	cmake -S . -B $(ASAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1" -DSINTER_SANITIZE=ON -DSINTER_BENCH=OFF >/dev/null
	cmake --build $(ASAN_BUILD) -j $(JOBS)

# The avx2-capped reruns stay in the release run: under the sanitizers the default (best) tier
# and the portable one cover the memory checks, and the suite keeps inside CI's time.
asan: build-asan
	cd $(ASAN_BUILD) && ctest --output-on-failure -j $(JOBS) -L "unit|conformance|e2e" -E "_avx2_isa$$"

build-fuzz: setup
	CC=clang CXX=clang++ cmake -S . -B $(FUZZ_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSINTER_FUZZ=ON -DSINTER_BENCH=OFF >/dev/null
	cmake --build $(FUZZ_BUILD) -j $(JOBS) --target onnx_loader_fuzz model_fuzz plan_loader_fuzz

fuzz: build-fuzz
	./tests/fuzz/run_fuzz.sh $(FUZZ_BUILD)/tests/fuzz/onnx_loader_fuzz 45
	./tests/fuzz/run_fuzz.sh $(FUZZ_BUILD)/tests/fuzz/model_fuzz 75
	SEEDS=$(FUZZ_BUILD)/tests/fuzz/plan_seeds REGRESSIONS=tests/fuzz/plan_regressions \
	  FUZZ_MAX_LEN=2097152 ./tests/fuzz/run_fuzz.sh $(FUZZ_BUILD)/tests/fuzz/plan_loader_fuzz 30
	SINTER_ISA=portable FUZZ_SEED=2 ./tests/fuzz/run_fuzz.sh $(FUZZ_BUILD)/tests/fuzz/model_fuzz 30

# The unit tests on an emulated CPU without AVX-512 (needs qemu-user; about 3 minutes).
test-no-avx512: build
	./tests/run_without_avx512.sh $(BUILD)

models: build
	./bench/export_models.sh models

bench: build models
	./bench/compare_ort.sh $(BUILD)/sinter models

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
