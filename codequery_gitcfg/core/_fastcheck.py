VERSION = "2.22.3"
class Decimal:  # never instantiated: plain() lets no Decimal reach this code
    pass
import re
class JsonSchemaValueException(ValueError):
    def __init__(self, message, **details):
        super().__init__(message)
class JsonSchemaValuesException(ValueError):
    pass


class _Patterns(dict):  # compiled on first use (core.schema.fast_code)
    def __missing__(self, pattern):
        compiled = self[pattern] = re.compile(pattern)
        return compiled
REGEX_PATTERNS = _Patterns()

NoneType = type(None)

def validate_https___codequery_dev_schemas_config_v2_json(data, custom_formats={}, name_prefix=None):
    if not isinstance(data, (dict)):
        raise JsonSchemaValueException("" + (name_prefix or "data") + " must be object")
    data_is_dict = isinstance(data, dict)
    if data_is_dict:
        data__missing_keys = set(['dataset_name']) - data.keys()
        if data__missing_keys:
            raise JsonSchemaValueException("" + (name_prefix or "data") + " must contain ")
        data_keys = set(data.keys())
        if "$schema" in data_keys:
            data_keys.remove("$schema")
            data__schema = data["$schema"]
            if not isinstance(data__schema, (str)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".$schema must be string")
        if "schema_version" in data_keys:
            data_keys.remove("schema_version")
            data__schemaversion = data["schema_version"]
            if not isinstance(data__schemaversion, (int)) and not (isinstance(data__schemaversion, float) and data__schemaversion.is_integer()) or isinstance(data__schemaversion, bool):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".schema_version must be integer")
            if isinstance(data__schemaversion, (int, float, Decimal)) and not isinstance(data__schemaversion, bool):
                if data__schemaversion < 0:
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".schema_version must be bigger than or equal to 0")
                if data__schemaversion > 2:
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".schema_version must be smaller than or equal to 2")
        if "dataset_name" in data_keys:
            data_keys.remove("dataset_name")
            data__datasetname = data["dataset_name"]
            if not isinstance(data__datasetname, (str)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".dataset_name must be string")
            if isinstance(data__datasetname, str):
                if not REGEX_PATTERNS['[^\\t-\\r ]'].search(data__datasetname):
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".dataset_name must match pattern [^\\t-\\r ]")
            try:
                if isinstance(data__datasetname, str):
                    if not REGEX_PATTERNS['[^A-Za-z0-9_.-]'].search(data__datasetname):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".dataset_name must match pattern [^A-Za-z0-9_.-]")
            except (JsonSchemaValueException, JsonSchemaValuesException): pass
            else:
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".dataset_name must NOT match a disallowed definition")
            try:
                if not (isinstance(data__datasetname, str) and data__datasetname == '.' or isinstance(data__datasetname, str) and data__datasetname == '..'):
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".dataset_name must be one of ['.', '..']")
            except (JsonSchemaValueException, JsonSchemaValuesException): pass
            else:
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".dataset_name must NOT match a disallowed definition")
            if isinstance(data__datasetname, str):
                data__datasetname_len = len(data__datasetname)
                if data__datasetname_len > 100:
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".dataset_name must be shorter than or equal to 100 characters")
        if "model" in data_keys:
            data_keys.remove("model")
            data__model = data["model"]
            if not isinstance(data__model, (str)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".model must be string")
            if isinstance(data__model, str):
                data__model_len = len(data__model)
                if data__model_len < 1:
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".model must be longer than or equal to 1 characters")
            try:
                if isinstance(data__model, str):
                    if not REGEX_PATTERNS['[^A-Za-z0-9._-]'].search(data__model):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".model must match pattern [^A-Za-z0-9._-]")
            except (JsonSchemaValueException, JsonSchemaValuesException): pass
            else:
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".model must NOT match a disallowed definition")
            if isinstance(data__model, str):
                data__model_len = len(data__model)
                if data__model_len > 100:
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".model must be shorter than or equal to 100 characters")
        if "processing" in data_keys:
            data_keys.remove("processing")
            data__processing = data["processing"]
            if not isinstance(data__processing, (dict)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".processing must be object")
            data__processing_is_dict = isinstance(data__processing, dict)
            if data__processing_is_dict:
                data__processing_keys = set(data__processing.keys())
                if "mode" in data__processing_keys:
                    data__processing_keys.remove("mode")
                    data__processing__mode = data__processing["mode"]
                    if not (isinstance(data__processing__mode, str) and data__processing__mode == 'manual' or isinstance(data__processing__mode, str) and data__processing__mode == 'auto'):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".processing.mode must be one of ['manual', 'auto']")
                if "fallback_to_sync" in data__processing_keys:
                    data__processing_keys.remove("fallback_to_sync")
                    data__processing__fallbacktosync = data__processing["fallback_to_sync"]
                    if not isinstance(data__processing__fallbacktosync, (bool)):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".processing.fallback_to_sync must be boolean")
                if "batch_size" in data__processing_keys:
                    data__processing_keys.remove("batch_size")
                    data__processing__batchsize = data__processing["batch_size"]
                    if not isinstance(data__processing__batchsize, (int)) and not (isinstance(data__processing__batchsize, float) and data__processing__batchsize.is_integer()) or isinstance(data__processing__batchsize, bool):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".processing.batch_size must be integer")
                    if isinstance(data__processing__batchsize, (int, float, Decimal)) and not isinstance(data__processing__batchsize, bool):
                        if data__processing__batchsize < 1:
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".processing.batch_size must be bigger than or equal to 1")
                        if data__processing__batchsize > 1000:
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".processing.batch_size must be smaller than or equal to 1000")
                if "delay_seconds" in data__processing_keys:
                    data__processing_keys.remove("delay_seconds")
                    data__processing__delayseconds = data__processing["delay_seconds"]
                    if not isinstance(data__processing__delayseconds, (int, float, Decimal)) or isinstance(data__processing__delayseconds, bool):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".processing.delay_seconds must be number")
                    if isinstance(data__processing__delayseconds, (int, float, Decimal)) and not isinstance(data__processing__delayseconds, bool):
                        if data__processing__delayseconds < 0:
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".processing.delay_seconds must be bigger than or equal to 0")
                        if data__processing__delayseconds > 604800:
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".processing.delay_seconds must be smaller than or equal to 604800")
                if "max_retries" in data__processing_keys:
                    data__processing_keys.remove("max_retries")
                    data__processing__maxretries = data__processing["max_retries"]
                    if not isinstance(data__processing__maxretries, (int)) and not (isinstance(data__processing__maxretries, float) and data__processing__maxretries.is_integer()) or isinstance(data__processing__maxretries, bool):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".processing.max_retries must be integer")
                    if isinstance(data__processing__maxretries, (int, float, Decimal)) and not isinstance(data__processing__maxretries, bool):
                        if data__processing__maxretries < 0:
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".processing.max_retries must be bigger than or equal to 0")
                        if data__processing__maxretries > 100:
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".processing.max_retries must be smaller than or equal to 100")
                if "worker_check_interval" in data__processing_keys:
                    data__processing_keys.remove("worker_check_interval")
                    data__processing__workercheckinterval = data__processing["worker_check_interval"]
                    if not isinstance(data__processing__workercheckinterval, (int, float, Decimal)) or isinstance(data__processing__workercheckinterval, bool):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".processing.worker_check_interval must be number")
                    if isinstance(data__processing__workercheckinterval, (int, float, Decimal)) and not isinstance(data__processing__workercheckinterval, bool):
                        if data__processing__workercheckinterval > 3600:
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".processing.worker_check_interval must be smaller than or equal to 3600")
                        if data__processing__workercheckinterval <= 0:
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".processing.worker_check_interval must be bigger than 0")
                if "queue_timeout" in data__processing_keys:
                    data__processing_keys.remove("queue_timeout")
                    data__processing__queuetimeout = data__processing["queue_timeout"]
                    if not isinstance(data__processing__queuetimeout, (int, float, Decimal)) or isinstance(data__processing__queuetimeout, bool):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".processing.queue_timeout must be number")
                    if isinstance(data__processing__queuetimeout, (int, float, Decimal)) and not isinstance(data__processing__queuetimeout, bool):
                        if data__processing__queuetimeout < 0:
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".processing.queue_timeout must be bigger than or equal to 0")
                        if data__processing__queuetimeout > 3600:
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".processing.queue_timeout must be smaller than or equal to 3600")
                if data__processing_keys:
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".processing must not contain "+str(data__processing_keys)+" properties")
        if "exclude_patterns" in data_keys:
            data_keys.remove("exclude_patterns")
            data__excludepatterns = data["exclude_patterns"]
            if not isinstance(data__excludepatterns, (list, tuple)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".exclude_patterns must be array")
            data__excludepatterns_is_list = isinstance(data__excludepatterns, (list, tuple))
            if data__excludepatterns_is_list:
                data__excludepatterns_len = len(data__excludepatterns)
                if data__excludepatterns_len > 1000:
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".exclude_patterns must contain less than or equal to 1000 items")
                for data__excludepatterns_x, data__excludepatterns_item in enumerate(data__excludepatterns):
                    if not isinstance(data__excludepatterns_item, (str)):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".exclude_patterns[{data__excludepatterns_x}]".format(**locals()) + " must be string")
                    if isinstance(data__excludepatterns_item, str):
                        data__excludepatterns_item_len = len(data__excludepatterns_item)
                        if data__excludepatterns_item_len < 1:
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".exclude_patterns[{data__excludepatterns_x}]".format(**locals()) + " must be longer than or equal to 1 characters")
                        data__excludepatterns_item_len = len(data__excludepatterns_item)
                        if data__excludepatterns_item_len > 256:
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".exclude_patterns[{data__excludepatterns_x}]".format(**locals()) + " must be shorter than or equal to 256 characters")
                    try:
                        if isinstance(data__excludepatterns_item, str):
                            if not REGEX_PATTERNS['^/'].search(data__excludepatterns_item):
                                raise JsonSchemaValueException("" + (name_prefix or "data") + ".exclude_patterns[{data__excludepatterns_x}]".format(**locals()) + " must match pattern ^/")
                    except (JsonSchemaValueException, JsonSchemaValuesException): pass
                    else:
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".exclude_patterns[{data__excludepatterns_x}]".format(**locals()) + " must NOT match a disallowed definition")
                    try:
                        if isinstance(data__excludepatterns_item, str):
                            if not REGEX_PATTERNS['^\\\\'].search(data__excludepatterns_item):
                                raise JsonSchemaValueException("" + (name_prefix or "data") + ".exclude_patterns[{data__excludepatterns_x}]".format(**locals()) + " must match pattern ^\\\\")
                    except (JsonSchemaValueException, JsonSchemaValuesException): pass
                    else:
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".exclude_patterns[{data__excludepatterns_x}]".format(**locals()) + " must NOT match a disallowed definition")
                    try:
                        if isinstance(data__excludepatterns_item, str):
                            if not REGEX_PATTERNS['^[A-Za-z]:'].search(data__excludepatterns_item):
                                raise JsonSchemaValueException("" + (name_prefix or "data") + ".exclude_patterns[{data__excludepatterns_x}]".format(**locals()) + " must match pattern ^[A-Za-z]:")
                    except (JsonSchemaValueException, JsonSchemaValuesException): pass
                    else:
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".exclude_patterns[{data__excludepatterns_x}]".format(**locals()) + " must NOT match a disallowed definition")
                    try:
                        if isinstance(data__excludepatterns_item, str):
                            if not REGEX_PATTERNS['(^|[/\\\\])\\.\\.([/\\\\]|(?![\\s\\S]))'].search(data__excludepatterns_item):
                                raise JsonSchemaValueException("" + (name_prefix or "data") + ".exclude_patterns[{data__excludepatterns_x}]".format(**locals()) + " must match pattern (^|[/\\\\])\\.\\.([/\\\\]|(?![\\s\\S]))")
                    except (JsonSchemaValueException, JsonSchemaValuesException): pass
                    else:
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".exclude_patterns[{data__excludepatterns_x}]".format(**locals()) + " must NOT match a disallowed definition")
                    try:
                        if isinstance(data__excludepatterns_item, str):
                            if not REGEX_PATTERNS['[\\u0000-\\u001f\\u007f-\\u009f\\u2028\\u2029]'].search(data__excludepatterns_item):
                                raise JsonSchemaValueException("" + (name_prefix or "data") + ".exclude_patterns[{data__excludepatterns_x}]".format(**locals()) + " must match pattern [\\u0000-\\u001f\\u007f-\\u009f\\u2028\\u2029]")
                    except (JsonSchemaValueException, JsonSchemaValuesException): pass
                    else:
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".exclude_patterns[{data__excludepatterns_x}]".format(**locals()) + " must NOT match a disallowed definition")
                    if isinstance(data__excludepatterns_item, str):
                        if not REGEX_PATTERNS['^(?:[^\\[\\]]|\\[!?\\]?[^\\]]*\\])*(?![\\s\\S])'].search(data__excludepatterns_item):
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".exclude_patterns[{data__excludepatterns_x}]".format(**locals()) + " must match pattern ^(?:[^\\[\\]]|\\[!?\\]?[^\\]]*\\])*(?![\\s\\S])")
        if "created_at" in data_keys:
            data_keys.remove("created_at")
            data__createdat = data["created_at"]
            if not isinstance(data__createdat, (str)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".created_at must be string")
            if isinstance(data__createdat, str):
                if not REGEX_PATTERNS['^[0-9]{4}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)|02-(?:0[1-9]|[12][0-9]))[Tt](?:[01][0-9]|2[0-3]):[0-5][0-9]:(?:[0-5][0-9]|60)(?:\\.[0-9]+)?(?:[Zz]|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])?(?![\\s\\S])'].search(data__createdat):
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".created_at must match pattern ^[0-9]{4}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)|02-(?:0[1-9]|[12][0-9]))[Tt](?:[01][0-9]|2[0-3]):[0-5][0-9]:(?:[0-5][0-9]|60)(?:\\.[0-9]+)?(?:[Zz]|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])?(?![\\s\\S])")
        if "worktree" in data_keys:
            data_keys.remove("worktree")
            data__worktree = data["worktree"]
            if not isinstance(data__worktree, (dict)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".worktree must be object")
            data__worktree_is_dict = isinstance(data__worktree, dict)
            if data__worktree_is_dict:
                data__worktree_keys = set(data__worktree.keys())
                if "branch" in data__worktree_keys:
                    data__worktree_keys.remove("branch")
                    data__worktree__branch = data__worktree["branch"]
                    if not isinstance(data__worktree__branch, (str)):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".worktree.branch must be string")
                    try:
                        if isinstance(data__worktree__branch, str):
                            if not REGEX_PATTERNS['[\\u0000-\\u001f\\u007f-\\u009f\\u2028\\u2029]'].search(data__worktree__branch):
                                raise JsonSchemaValueException("" + (name_prefix or "data") + ".worktree.branch must match pattern [\\u0000-\\u001f\\u007f-\\u009f\\u2028\\u2029]")
                    except (JsonSchemaValueException, JsonSchemaValuesException): pass
                    else:
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".worktree.branch must NOT match a disallowed definition")
                if "main_dataset_name" in data__worktree_keys:
                    data__worktree_keys.remove("main_dataset_name")
                    data__worktree__maindatasetname = data__worktree["main_dataset_name"]
                    if not isinstance(data__worktree__maindatasetname, (str)):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".worktree.main_dataset_name must be string")
                    try:
                        if isinstance(data__worktree__maindatasetname, str):
                            if not REGEX_PATTERNS['[\\u0000-\\u001f\\u007f-\\u009f\\u2028\\u2029]'].search(data__worktree__maindatasetname):
                                raise JsonSchemaValueException("" + (name_prefix or "data") + ".worktree.main_dataset_name must match pattern [\\u0000-\\u001f\\u007f-\\u009f\\u2028\\u2029]")
                    except (JsonSchemaValueException, JsonSchemaValuesException): pass
                    else:
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".worktree.main_dataset_name must NOT match a disallowed definition")
                if "is_worktree" in data__worktree_keys:
                    data__worktree_keys.remove("is_worktree")
                    data__worktree__isworktree = data__worktree["is_worktree"]
                    if not isinstance(data__worktree__isworktree, (bool)):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".worktree.is_worktree must be boolean")
                if data__worktree_keys:
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".worktree must not contain "+str(data__worktree_keys)+" properties")
        if data_keys:
            raise JsonSchemaValueException("" + (name_prefix or "data") + " must not contain "+str(data_keys)+" properties")
    return data