#include "data/data_loader.h"

#include <algorithm>
#include <cstring>
#include <numeric>

#include "core/error.h"
#include "core/seeded_random.h"

namespace sinter {

namespace {

// How many prepared batches may wait for the consumer: enough to hide a slow batch, few enough
// that memory stays at a couple of batches.
constexpr size_t kPrefetchDepth = 2;

// Independent streams drawn from one seed.
constexpr uint64_t kOrderStream = 1;
constexpr uint64_t kAugmentStream = 2;

std::vector<int64_t> epoch_order(int64_t n, bool shuffle, uint64_t seed, int64_t epoch) {
  std::vector<int64_t> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), int64_t{0});
  if (!shuffle) return order;
  std::mt19937_64 rng(mix_seed(mix_seed(seed, kOrderStream), static_cast<uint64_t>(epoch)));
  for (int64_t i = n - 1; i > 0; --i) {  // Fisher-Yates
    int64_t j = static_cast<int64_t>(uniform_below(rng, static_cast<uint64_t>(i) + 1));
    std::swap(order[i], order[j]);
  }
  return order;
}

// out(c, y, x) = in(c, y + dy, x' + dx) with x' = w-1-x when flipped, else x; `pad` where that
// falls outside the image. This is a crop at offset (P+dy, P+dx) of the image padded by P,
// followed by a mirror.
void shift_and_flip(const float* in, float* out, int64_t channels, int64_t h, int64_t w, int64_t dy,
                    int64_t dx, bool flip, float pad) {
  for (int64_t c = 0; c < channels; ++c) {
    const float* plane = in + c * h * w;
    for (int64_t y = 0; y < h; ++y, out += w) {
      const int64_t sy = y + dy;
      if (sy < 0 || sy >= h) {
        std::fill(out, out + w, pad);
        continue;
      }
      const float* row = plane + sy * w;
      for (int64_t x = 0; x < w; ++x) {
        const int64_t sx = (flip ? w - 1 - x : x) + dx;
        out[x] = sx >= 0 && sx < w ? row[sx] : pad;
      }
    }
  }
}

}  // namespace

DataLoader::DataLoader(Dataset dataset, DataLoaderOptions options)
    : dataset_(std::move(dataset)), options_(std::move(options)) {
  validate(dataset_);
  if (options_.batch_size <= 0)
    throw InputError(
        cat(dataset_.name, ": batch size must be positive, got ", options_.batch_size));
  // The cap only keeps offset arithmetic far from overflow; any padding past the image size
  // already allows windows of pure border.
  constexpr int64_t kMaxPadding = int64_t{1} << 20;
  if (options_.crop_padding < 0 || options_.crop_padding > kMaxPadding)
    throw InputError(cat(dataset_.name, ": crop padding must be in [0, ", kMaxPadding, "], got ",
                         options_.crop_padding));
  if (options_.shards < 1 || options_.shard < 0 || options_.shard >= options_.shards)
    throw InputError(
        cat(dataset_.name, ": shard ", options_.shard, " of ", options_.shards, " does not exist"));
  if (options_.shards > 1 && !options_.drop_last)
    throw InputError(cat(dataset_.name, ": sharded loaders drop the last incomplete batch"));
}

DataLoader::~DataLoader() { stop(); }

int64_t DataLoader::batches_per_epoch() const {
  const int64_t n = dataset_.size(), b = options_.batch_size * options_.shards;
  return options_.drop_last ? n / b : (n + b - 1) / b;
}

void DataLoader::start_epoch(int64_t epoch, int64_t first_batch) {
  stop();
  if (first_batch < 0)
    throw InputError(cat(dataset_.name, ": first batch must not be negative, got ", first_batch));
  std::vector<int64_t> order = epoch_order(dataset_.size(), options_.shuffle, options_.seed, epoch);
  worker_ = std::thread(&DataLoader::produce, this, epoch, first_batch, std::move(order));
  started_ = true;
}

bool DataLoader::next(Batch& batch) {
  SINTER_CHECK(started_, "DataLoader::next called before start_epoch");
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [&] { return !queue_.empty() || done_; });
  if (!queue_.empty()) {
    batch = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    changed_.notify_all();
    return true;
  }
  if (error_) std::rethrow_exception(error_);
  return false;
}

void DataLoader::produce(int64_t epoch, int64_t first_batch, std::vector<int64_t> order) {
  try {
    const int64_t batches = batches_per_epoch();
    for (int64_t b = first_batch; b < batches; ++b) {
      {
        // Wait for room before building, so at most kPrefetchDepth batches exist ahead.
        std::unique_lock lock(mutex_);
        changed_.wait(lock, [&] { return cancel_ || queue_.size() < kPrefetchDepth; });
        if (cancel_) return;
      }
      Batch batch = make_batch(epoch, b, order);
      {
        std::lock_guard lock(mutex_);
        queue_.push_back(std::move(batch));
      }
      changed_.notify_all();
    }
  } catch (...) {
    std::lock_guard lock(mutex_);
    error_ = std::current_exception();
  }
  {
    std::lock_guard lock(mutex_);
    done_ = true;
  }
  changed_.notify_all();
}

Batch DataLoader::make_batch(int64_t epoch, int64_t index,
                             const std::vector<int64_t>& order) const {
  const Shape& shape = dataset_.images.shape();
  const int64_t channels = shape[1], h = shape[2], w = shape[3];
  const int64_t sample = channels * h * w;
  // The shard's slice of global batch `index`; its own random stream.
  const int64_t slice = index * options_.shards + options_.shard;
  const int64_t begin = slice * options_.batch_size;
  const int64_t size = std::min(options_.batch_size, dataset_.size() - begin);

  Batch batch;
  batch.size = size;
  batch.images = Tensor(DType::kFloat32, {size, channels, h, w});
  batch.labels = Tensor(DType::kInt64, {size});
  const float* src = dataset_.images.data<float>();
  const int64_t* src_labels = dataset_.labels.data<int64_t>();
  float* dst = batch.images.data<float>();
  int64_t* dst_labels = batch.labels.data<int64_t>();

  std::mt19937_64 rng(
      mix_seed(mix_seed(mix_seed(options_.seed, kAugmentStream), static_cast<uint64_t>(epoch)),
               static_cast<uint64_t>(slice)));
  const int64_t pad = options_.crop_padding;
  for (int64_t i = 0; i < size; ++i) {
    const int64_t k = order[static_cast<size_t>(begin + i)];
    dst_labels[i] = src_labels[k];
    int64_t dy = 0, dx = 0;
    bool flip = false;
    if (pad > 0) {
      dy = static_cast<int64_t>(uniform_below(rng, static_cast<uint64_t>(2 * pad + 1))) - pad;
      dx = static_cast<int64_t>(uniform_below(rng, static_cast<uint64_t>(2 * pad + 1))) - pad;
    }
    if (options_.horizontal_flip) flip = (rng() >> 63) != 0;
    const float* in = src + k * sample;
    float* out = dst + i * sample;
    if (dy == 0 && dx == 0 && !flip)
      std::memcpy(out, in, static_cast<size_t>(sample) * sizeof(float));
    else
      shift_and_flip(in, out, channels, h, w, dy, dx, flip, options_.pad_value);
  }
  if (options_.transform) options_.transform(batch, rng);
  return batch;
}

void DataLoader::stop() {
  {
    std::lock_guard lock(mutex_);
    cancel_ = true;
  }
  changed_.notify_all();
  if (worker_.joinable()) worker_.join();
  // The worker is gone: no lock needed to reset the shared state.
  queue_.clear();
  cancel_ = false;
  done_ = false;
  error_ = nullptr;
}

}  // namespace sinter
