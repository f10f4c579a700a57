"""A foreign Kafka client of streamtrain, written only with Debian's python3-confluent-kafka and
python3-avro: what a Python user of the pipeline does.

  pipeline_client.py produce --registry URL --bootstrap HOST:PORT --topic T --schemas DIR
                             --count N --seed S --prefix P [--unlabeled]
      Registers LabeledImage (from DIR/LabeledImage.avsc with DIR/ImageEncoding.avsc inlined, as
      Java's serializer registers it) under T-value with confluent_kafka's SchemaRegistryClient,
      fetches it back by id, then produces N generated 28x28 images, Avro-encoded with
      python3-avro and framed as Confluent does (magic 0, 4-byte big-endian schema id, body),
      keyed by image id. Prints {"schema_id", "version", "count", "labels"} as JSON.

  pipeline_client.py consume --registry URL --bootstrap HOST:PORT --topic T --count N
                             --timeout SECONDS
      Reads N Confluent-framed records from T with confluent_kafka.Consumer, fetches each
      writer schema by id from the registry, decodes the bodies with python3-avro and prints
      {"schema_ids", "predictions": [{"key", "id", "label", "className", "probabilities",
      "modelVersion"}]} as JSON.

Progress and errors go to stderr; the exit code is non-zero on any failure.
"""
import argparse
import io
import json
import random
import struct
import sys
import time

import avro.io
import avro.schema
from confluent_kafka import Consumer, KafkaError, Producer
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient

MAGIC_BYTE = 0
HEADER = struct.Struct(">bI")


def parse_schema(text):
    parse = getattr(avro.schema, "parse", None) or getattr(avro.schema, "Parse")
    return parse(text)


def labeled_image_schema(schema_dir):
    """LabeledImage with its ImageEncoding enum inlined: one self-contained schema text."""
    with open(f"{schema_dir}/LabeledImage.avsc", encoding="utf-8") as f:
        image = json.load(f)
    with open(f"{schema_dir}/ImageEncoding.avsc", encoding="utf-8") as f:
        encoding = json.load(f)
    names = (encoding["name"], f"{encoding['namespace']}.{encoding['name']}")
    for field in image["fields"]:
        if field["type"] in names:
            field["type"] = encoding
    return json.dumps(image)


def image(prefix, index, rng, labeled):
    """Class k is a bright 6x6 block at a position of its own plus noise (as the Java tests)."""
    label = rng.randrange(10)
    pixels = bytearray(rng.randrange(40) for _ in range(784))
    top = 2 + (label // 5) * 12
    left = 2 + (label % 5) * 5
    for r in range(top, top + 6):
        for c in range(left, min(28, left + 6)):
            pixels[r * 28 + c] = 200 + rng.randrange(55)
    return {
        "id": f"{prefix}-{index}", "height": 28, "width": 28, "channels": 1, "encoding": "RAW",
        "data": bytes(pixels), "label": label if labeled else None,
        "className": f"class-{label}" if labeled else None, "source": "python",
        "eventTime": None, "epoch": None,
    }


def frame(schema_id, writer, record):
    out = io.BytesIO()
    out.write(HEADER.pack(MAGIC_BYTE, schema_id))
    writer.write(record, avro.io.BinaryEncoder(out))
    return out.getvalue()


def produce(args):
    registry = SchemaRegistryClient({"url": args.registry})
    subject = f"{args.topic}-value"
    schema_text = labeled_image_schema(args.schemas)
    schema_id = registry.register_schema(subject, Schema(schema_text, "AVRO"))
    fetched = registry.get_schema(schema_id)
    if parse_schema(fetched.schema_str) != parse_schema(schema_text):
        raise SystemExit(f"registry returned another schema for id {schema_id}")
    registered = registry.lookup_schema(subject, Schema(schema_text, "AVRO"))
    writer = avro.io.DatumWriter(parse_schema(fetched.schema_str))

    failures = []
    producer = Producer({"bootstrap.servers": args.bootstrap, "enable.idempotence": True,
                         "linger.ms": 5})
    rng = random.Random(args.seed)
    labels = []
    for i in range(args.count):
        record = image(args.prefix, i, rng, not args.unlabeled)
        labels.append(record["label"])
        producer.produce(args.topic, key=record["id"].encode("utf-8"),
                         value=frame(schema_id, writer, record),
                         on_delivery=lambda err, msg: err and failures.append(str(err)))
        producer.poll(0)
    left = producer.flush(60)
    if failures or left:
        raise SystemExit(f"{len(failures)} failed and {left} undelivered records: {failures[:3]}")
    print(f"produced {args.count} records to {args.topic} with schema id {schema_id}",
          file=sys.stderr)
    print(json.dumps({"schema_id": schema_id, "version": registered.version,
                      "count": args.count, "labels": labels}))


def consume(args):
    registry = SchemaRegistryClient({"url": args.registry})
    readers = {}
    consumer = Consumer({"bootstrap.servers": args.bootstrap, "group.id": f"python-{args.topic}",
                         "auto.offset.reset": "earliest", "enable.auto.commit": False})
    consumer.subscribe([args.topic])
    predictions = []
    deadline = time.monotonic() + args.timeout
    try:
        while len(predictions) < args.count and time.monotonic() < deadline:
            message = consumer.poll(0.5)
            if message is None:
                continue
            if message.error():
                if message.error().code() == KafkaError._PARTITION_EOF:
                    continue
                raise SystemExit(f"consumer error: {message.error()}")
            value = message.value()
            magic, schema_id = HEADER.unpack_from(value)
            if magic != MAGIC_BYTE:
                raise SystemExit(f"record at offset {message.offset()} is not Confluent-framed")
            if schema_id not in readers:
                schema = parse_schema(registry.get_schema(schema_id).schema_str)
                readers[schema_id] = avro.io.DatumReader(schema)
            decoded = readers[schema_id].read(
                avro.io.BinaryDecoder(io.BytesIO(value[HEADER.size:])))
            predictions.append({
                "key": message.key().decode("utf-8"), "id": decoded["id"],
                "label": decoded["label"], "className": decoded["className"],
                "probabilities": decoded["probabilities"],
                "modelVersion": decoded["modelVersion"], "schema_id": schema_id,
            })
    finally:
        consumer.close()
    print(f"read {len(predictions)} predictions from {args.topic}", file=sys.stderr)
    print(json.dumps({"schema_ids": sorted(readers), "predictions": predictions}))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    p = commands.add_parser("produce")
    c = commands.add_parser("consume")
    for sub in (p, c):
        sub.add_argument("--registry", required=True)
        sub.add_argument("--bootstrap", required=True)
        sub.add_argument("--topic", required=True)
        sub.add_argument("--count", type=int, required=True)
    p.add_argument("--schemas", required=True)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--prefix", required=True)
    p.add_argument("--unlabeled", action="store_true")
    c.add_argument("--timeout", type=float, default=60)
    args = parser.parse_args()
    produce(args) if args.command == "produce" else consume(args)


if __name__ == "__main__":
    main()
