from django.urls import path

from supervision.api import ItemCloseApi, ItemDetailApi, ItemListApi, ItemRespondApi, ItemReturnApi

urlpatterns = [
    path("supervision-items/", ItemListApi.as_view(), name="api-supervision-list"),
    path("supervision-items/<int:pk>/", ItemDetailApi.as_view(), name="api-supervision-detail"),
    path("supervision-items/<int:pk>/respond/", ItemRespondApi.as_view(), name="api-supervision-respond"),
    path("supervision-items/<int:pk>/close/", ItemCloseApi.as_view(), name="api-supervision-close"),
    path("supervision-items/<int:pk>/return/", ItemReturnApi.as_view(), name="api-supervision-return"),
]
