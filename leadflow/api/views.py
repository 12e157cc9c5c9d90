from rest_framework.views import APIView


class LeadIntakeView(APIView):  # replaced by the intake work
    pass
