#!/usr/bin/env python3
"""A Python producer of labeled images and consumer of predictions for streamtrain.

Needs only what Debian packages: python3-confluent-kafka (Producer, Consumer, SchemaRegistryClient)
and python3-avro (Avro binary encoding). Confluent's Avro serializers need fastavro, which Debian
does not package, so this script frames records itself: a Confluent-framed record is the magic
byte 0, the schema id as a 4-byte big-endian integer, then the Avro binary body. With
`pip install "confluent-kafka[avro]"` the serializers do the same: see docs/python-clients.md.

The schemas are not registered here: `streamtrain topics create` registered them, and this client
uses the latest version of `<topic>-value`, as producers without auto-registration do.

  streamtrain_client.py produce --images PATH [--split train|test] [--topic T] [--limit N]
                                [--unlabeled] [--prefix ID_PREFIX]
      PATH is Fashion-MNIST's IDX directory (train-images-idx3-ubyte[.gz] and friends; --split
      picks the files) or an ImageFolder tree, PATH/<class name>/<image>.png|.jpg, whose classes
      are labeled 0, 1, ... in sorted order, as torchvision's ImageFolder labels them. Records are
      keyed by image id. --unlabeled sends inference requests (label null) to images.infer.
      Prints {"topic", "schema_id", "version", "count", "labels"} as JSON.

  streamtrain_client.py consume [--topic predictions] --count N [--timeout SECONDS]
      Reads N predictions, decoding each with its writer schema fetched by id, and prints
      {"schema_ids", "predictions": [{"key", "id", "label", "className", "probability",
      "probabilities", "modelVersion"}]} as JSON.

Both take --bootstrap (default localhost:9092) and --registry (default http://localhost:8081).
Progress and errors go to stderr; the exit code is non-zero on any failure.
"""
import argparse
import datetime
import gzip
import io
import json
import os
import struct
import sys
import time

import avro.io
import avro.schema
from confluent_kafka import Consumer, KafkaError, Producer
from confluent_kafka.schema_registry import SchemaRegistryClient

MAGIC_BYTE = 0
HEADER = struct.Struct(">bI")  # magic byte, schema id
IMAGE_SUFFIXES = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG"}


def parse_schema(text):
    # python3-avro 1.11 has avro.schema.parse; older releases spell it Parse.
    parse = getattr(avro.schema, "parse", None) or getattr(avro.schema, "Parse")
    return parse(text)


def frame(schema_id, writer, record):
    """The Confluent wire format: magic byte, schema id, Avro binary."""
    out = io.BytesIO()
    out.write(HEADER.pack(MAGIC_BYTE, schema_id))
    writer.write(record, avro.io.BinaryEncoder(out))
    return out.getvalue()


def unframe(value):
    magic, schema_id = HEADER.unpack_from(value)
    if magic != MAGIC_BYTE:
        raise ValueError("not a Confluent-framed record")
    return schema_id, value[HEADER.size:]


# ---- images --------------------------------------------------------------------------------

def read_idx(directory, split):
    """Fashion-MNIST (or MNIST) IDX files: yields (pixels, label), 28x28 uint8 row-major."""
    stem = "train" if split == "train" else "t10k"

    def open_idx(name):
        path = os.path.join(directory, name)
        if os.path.exists(path):
            return open(path, "rb")
        return gzip.open(path + ".gz", "rb")

    with open_idx(f"{stem}-images-idx3-ubyte") as f:
        magic, count, rows, cols = struct.unpack(">IIII", f.read(16))
        if magic != 2051:
            raise SystemExit(f"{directory}: {stem}-images-idx3-ubyte is not an IDX image file")
        images = f.read(count * rows * cols)
    with open_idx(f"{stem}-labels-idx1-ubyte") as f:
        magic, label_count = struct.unpack(">II", f.read(8))
        if magic != 2049 or label_count != count:
            raise SystemExit(f"{directory}: labels do not match the {count} images")
        labels = f.read(count)
    size = rows * cols
    for i in range(count):
        yield {"height": rows, "width": cols, "channels": 1, "encoding": "RAW",
               "data": images[i * size:(i + 1) * size], "label": labels[i],
               "source": f"{stem}-images-idx3-ubyte[{i}]"}


def png_shape(data):
    """(height, width, channels) from a PNG's IHDR chunk: gray (with or without alpha) is 1."""
    if data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        raise ValueError("not a PNG file")
    width, height, _depth, color_type = struct.unpack(">IIBB", data[16:26])
    return height, width, 1 if color_type in (0, 4) else 3


def jpeg_shape(data):
    """(height, width, channels) from a JPEG's start-of-frame segment."""
    if data[:2] != b"\xff\xd8":
        raise ValueError("not a JPEG file")
    i = 2
    while i + 4 <= len(data):
        if data[i] != 0xFF:
            raise ValueError("corrupt JPEG marker")
        marker = data[i + 1]
        length = struct.unpack(">H", data[i + 2:i + 4])[0]
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width, components = struct.unpack(">HHB", data[i + 5:i + 10])
            return height, width, 1 if components == 1 else 3
        i += 2 + length
    raise ValueError("JPEG without a frame header")


def read_image_folder(root):
    """PATH/<class>/<file>: yields PNG/JPEG files as they are (streamtrain decodes them)."""
    classes = sorted(d for d in os.listdir(root) if os.path.isdir(os.path.join(root, d)))
    if not classes:
        raise SystemExit(f"{root}: no class directories (expected {root}/<class>/<image>.png)")
    for label, name in enumerate(classes):
        for directory, _dirs, files in sorted(os.walk(os.path.join(root, name))):
            for file in sorted(files):
                encoding = IMAGE_SUFFIXES.get(os.path.splitext(file)[1].lower())
                if encoding is None:
                    print(f"skipped {os.path.join(directory, file)}: not .png/.jpg",
                          file=sys.stderr)
                    continue
                path = os.path.join(directory, file)
                with open(path, "rb") as f:
                    data = f.read()
                height, width, channels = (png_shape if encoding == "PNG" else jpeg_shape)(data)
                yield {"height": height, "width": width, "channels": channels,
                       "encoding": encoding, "data": data, "label": label, "className": name,
                       "source": os.path.relpath(path, root)}


def images(path, split):
    is_idx = any(os.path.exists(os.path.join(path, f"{stem}-images-idx3-ubyte{gz}"))
                 for stem in ("train", "t10k") for gz in ("", ".gz"))
    return read_idx(path, split) if is_idx else read_image_folder(path)


# ---- produce and consume -------------------------------------------------------------------

def produce(args):
    topic = args.topic or ("images.infer" if args.unlabeled else f"images.{args.split}")
    registry = SchemaRegistryClient({"url": args.registry})
    # use.latest.version: the schema `streamtrain topics create` registered for this topic.
    latest = registry.get_latest_version(f"{topic}-value")
    writer = avro.io.DatumWriter(parse_schema(latest.schema.schema_str))

    failures = []

    def delivered(err, _msg):
        if err is not None:
            failures.append(str(err))

    producer = Producer({"bootstrap.servers": args.bootstrap, "enable.idempotence": True,
                         "linger.ms": 5})
    labels = []
    for i, image in enumerate(images(args.images, args.split)):
        if args.limit is not None and i >= args.limit:
            break
        image_id = f"{args.prefix}-{i}"
        record = {"id": image_id, "height": image["height"], "width": image["width"],
                  "channels": image["channels"], "encoding": image["encoding"],
                  "data": bytes(image["data"]),
                  "label": None if args.unlabeled else image["label"],
                  "className": None if args.unlabeled else image.get("className"),
                  "source": image["source"],
                  # timestamp-millis: python3-avro takes an aware datetime.
                  "eventTime": datetime.datetime.now(datetime.timezone.utc),
                  "epoch": None}
        labels.append(image["label"])
        producer.produce(topic, key=image_id.encode("utf-8"),
                         value=frame(latest.schema_id, writer, record), on_delivery=delivered)
        producer.poll(0)
    left = producer.flush(60)
    if failures or left:
        raise SystemExit(f"{len(failures)} failed and {left} undelivered records: {failures[:3]}")
    print(f"produced {len(labels)} images to {topic} with schema id {latest.schema_id}",
          file=sys.stderr)
    print(json.dumps({"topic": topic, "schema_id": latest.schema_id,
                      "version": latest.version, "count": len(labels), "labels": labels}))


def consume(args):
    registry = SchemaRegistryClient({"url": args.registry})
    readers = {}  # schema id -> DatumReader: each writer schema is fetched once
    consumer = Consumer({"bootstrap.servers": args.bootstrap,
                         "group.id": args.group or f"python-{args.topic}",
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
            schema_id, body = unframe(message.value())
            if schema_id not in readers:
                schema = parse_schema(registry.get_schema(schema_id).schema_str)
                readers[schema_id] = avro.io.DatumReader(schema)
            p = readers[schema_id].read(avro.io.BinaryDecoder(io.BytesIO(body)))
            predictions.append({
                "key": message.key().decode("utf-8"), "id": p["id"], "label": p["label"],
                "className": p["className"], "probability": max(p["probabilities"]),
                "probabilities": p["probabilities"], "modelVersion": p["modelVersion"]})
    finally:
        consumer.close()
    if len(predictions) < args.count:
        raise SystemExit(f"read {len(predictions)} of {args.count} predictions from {args.topic}"
                         f" within {args.timeout} s")
    print(f"read {len(predictions)} predictions from {args.topic}", file=sys.stderr)
    print(json.dumps({"schema_ids": sorted(readers), "predictions": predictions}))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    p = commands.add_parser("produce", help="publish labeled images (or inference requests)")
    c = commands.add_parser("consume", help="read predictions")
    for sub in (p, c):
        sub.add_argument("--bootstrap", default="localhost:9092")
        sub.add_argument("--registry", default="http://localhost:8081")
    p.add_argument("--images", required=True, help="IDX directory or ImageFolder tree")
    p.add_argument("--split", choices=("train", "test"), default="train")
    p.add_argument("--topic", help="default images.<split>, or images.infer with --unlabeled")
    p.add_argument("--limit", type=int)
    p.add_argument("--unlabeled", action="store_true", help="inference requests: no label")
    p.add_argument("--prefix", default="python", help="image ids are PREFIX-0, PREFIX-1, ...")
    c.add_argument("--topic", default="predictions")
    c.add_argument("--count", type=int, required=True)
    c.add_argument("--timeout", type=float, default=60)
    c.add_argument("--group", help="consumer group (default python-<topic>)")
    args = parser.parse_args()
    produce(args) if args.command == "produce" else consume(args)


if __name__ == "__main__":
    main()
