"""chunkattn's property suite as an installed package: run it from any repository with

pytest --pyargs chunkattn.properties --impl=path/to/chunking_utils.py
pytest --pyargs chunkattn.properties --model=path/to/model.py:make_model
"""
