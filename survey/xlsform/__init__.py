"""XLSForm in and out: the spreadsheet format of KoboToolbox, ODK and SurveyCTO.

Reading goes through pyxform (the reference library) and gives a questionnaire in this
platform's YAML format; writing gives an `.xlsx` that pyxform turns into an XForm.
"""
