"""Drives streamtrain's registry endpoint with Confluent's own Python client.

Usage: confluent_client.py URL SUBJECT SCHEMA_FILE
Registers the schema, fetches it back by id, looks it up and reads the latest version, then
writes one Confluent-framed Avro record (magic 0, big-endian id, Avro body via python3-avro when
available) and prints everything as one JSON line on stdout.
"""
import base64
import io
import json
import struct
import sys

from confluent_kafka.schema_registry import Schema, SchemaRegistryClient


def framed_record(schema_id, schema_str):
    try:
        import avro.io
        import avro.schema
    except ImportError:
        return None
    parse = getattr(avro.schema, "parse", None) or getattr(avro.schema, "Parse")
    record = {
        "id": "from-python", "height": 1, "width": 2, "channels": 1, "encoding": "RAW",
        "data": b"\x01\x02", "label": 9, "className": "Ankle boot", "source": None,
        "eventTime": None, "epoch": None,
    }
    out = io.BytesIO()
    out.write(struct.pack(">bI", 0, schema_id))
    avro.io.DatumWriter(parse(schema_str)).write(record, avro.io.BinaryEncoder(out))
    return base64.b64encode(out.getvalue()).decode("ascii")


def main():
    url, subject, schema_file = sys.argv[1:4]
    with open(schema_file, encoding="utf-8") as f:
        schema_str = f.read()
    client = SchemaRegistryClient({"url": url})
    schema_id = client.register_schema(subject, Schema(schema_str, "AVRO"))
    fetched = client.get_schema(schema_id)
    looked_up = client.lookup_schema(subject, Schema(schema_str, "AVRO"))
    latest = client.get_latest_version(subject)
    print(json.dumps({
        "id": schema_id,
        "fetched_schema": fetched.schema_str,
        "lookup_id": looked_up.schema_id,
        "lookup_version": looked_up.version,
        "latest_id": latest.schema_id,
        "latest_version": latest.version,
        "subjects": client.get_subjects(),
        "versions": client.get_versions(subject),
        "record": framed_record(schema_id, schema_str),
    }))


if __name__ == "__main__":
    main()
