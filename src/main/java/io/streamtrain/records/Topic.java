package io.streamtrain.records;

import org.apache.kafka.common.serialization.Serde;

/** A topic travelling with its serdes, so that a name is never used with the wrong ones. */
public record Topic<K, V>(String name, Serde<K> keySerde, Serde<V> valueSerde) {}
