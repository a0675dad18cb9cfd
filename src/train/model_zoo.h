#pragma once
// Built-in models for small single-image classification (Fashion-MNIST sized by default), as
// inference graphs that training will later differentiate. Every trainable tensor is a named
// initializer following PyTorch module naming ("conv1.weight", "layer2.0.bn1.running_mean"), so
// checkpoints and exported ONNX files line up with the equivalent PyTorch model.
#include <cstdint>
#include <string>
#include <vector>

#include "ir/graph.h"

namespace sinter {

struct ModelZooOptions {
  int64_t num_classes = 10;
  int64_t in_channels = 1;
  int64_t image_size = 28;  // square images: image_size x image_size
  uint64_t seed = 1;        // weight initialization; same seed, same initializers
};

// Builds model `name` (one of zoo_model_names()) at opset 13 with default-domain ops only.
// Input "image" float32 [N, in_channels, image_size, image_size] with N dynamic (-1); output
// "logits" float32 [N, num_classes]. Weights are initialized like PyTorch's defaults
// (Kaiming-uniform with a = sqrt(5): weights and biases uniform in +-1/sqrt(fan_in); BatchNorm
// weight 1, bias 0, running mean 0, running var 1, epsilon 1e-5, ONNX momentum 0.9), drawn from
// std::mt19937_64 with sinter's own uniform mapping so every standard library gives the same
// values. Throws InputError for an unknown name (listing the known ones) or options the model
// cannot take (an image too small for its pooling).
Graph build_zoo_model(const std::string& name, const ModelZooOptions& options = {});

// "mlp", "lenet5", "vgg-small", "resnet20".
std::vector<std::string> zoo_model_names();

// Number of trainable elements: floating-point initializers, except BatchNormalization running
// statistics (inputs 3 and 4), which are buffers rather than parameters. Matches PyTorch's
// sum(p.numel() for p in model.parameters()) for the zoo models.
int64_t count_parameters(const Graph& g);

}  // namespace sinter
