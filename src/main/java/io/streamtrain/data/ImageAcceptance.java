package io.streamtrain.data;

/**
 * What a model accepts of a record's image: its input shape, labels in 0..numClasses-1 (and whether
 * one is required) and at most {@code maxPixels} declared by a PNG/JPEG header.
 */
public record ImageAcceptance(
    ImageShape expected, int numClasses, boolean labelRequired, long maxPixels) {}
