"""Drives the registry's compatibility API with Confluent's own Python client.

Usage: confluent_compat.py URL SUBJECT
Registers a Point schema, reads the global level, tests a compatible and an incompatible next
version, tries to register the incompatible one (expecting Confluent's 409), sets the subject's
level to FORWARD and registers it then. Prints what happened as one JSON line on stdout.
"""
import json
import sys

from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.error import SchemaRegistryError


def point(*extra_fields):
    fields = [{"name": "x", "type": "int"}, {"name": "y", "type": "int"}] + list(extra_fields)
    return Schema(json.dumps({"type": "record", "name": "Point", "namespace": "geo",
                              "fields": fields}), "AVRO")


def error(call):
    try:
        call()
    except SchemaRegistryError as e:
        return {"status": e.http_status_code, "code": e.error_code, "message": e.error_message}
    return None


def main():
    url, subject = sys.argv[1:3]
    client = SchemaRegistryClient({"url": url})
    with_default = point({"name": "z", "type": "int", "default": 0})
    without_default = point({"name": "z", "type": "int"})
    first_id = client.register_schema(subject, point())
    out = {
        "first_id": first_id,
        "global": client.get_compatibility(),
        "with_default": client.test_compatibility(subject, with_default),
        "without_default": client.test_compatibility(subject, without_default),
        "refused": error(lambda: client.register_schema(subject, without_default)),
        "unset": error(lambda: client.get_compatibility(subject)),
        "set": client.set_compatibility(subject, "forward"),
        "subject": client.get_compatibility(subject),
        "after_set_id": client.register_schema(subject, without_default),
        "versions": client.get_versions(subject),
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
